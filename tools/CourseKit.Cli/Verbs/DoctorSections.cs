using CourseKit.Data;
using CourseKit.Native;

namespace CourseKit.Cli.Verbs;

/// <summary>The doctor's sections beyond .NET and TorchSharp.</summary>
static class DoctorSections
{
    public static Action<DoctorReport>[] All => new Action<DoctorReport>[] { DataDoctor.Section };
}
