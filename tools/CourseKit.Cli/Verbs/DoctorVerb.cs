using System.CommandLine;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

static class DoctorVerb
{
    public static Command Create()
    {
        var noGemm = new Option<bool>("--no-gemm") { Description = "Skip the GEMM throughput measurement." };
        var cmd = new Command("doctor", "Check the machine: .NET, TorchSharp/libtorch, backend, threads, GEMM speed, data cache.") { noGemm };
        cmd.SetAction(parse =>
        {
            var report = Doctor.Run(!parse.GetValue(noGemm), DoctorSections.All);
            Console.Write(report);
            return report.HasErrors ? 1 : 0;
        });
        return cmd;
    }
}
