using System.CommandLine;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

static class DoctorVerb
{
    public static Command Create()
    {
        var cmd = new Command("doctor", "Check the machine: .NET, TorchSharp/libtorch, backend, threads, GEMM speed, data cache.");
        cmd.SetAction(_ =>
        {
            var report = TorchRuntime.Initialize();
            Console.WriteLine(report);
            return 0;
        });
        return cmd;
    }
}
