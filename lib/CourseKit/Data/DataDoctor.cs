using CourseKit.Native;

namespace CourseKit.Data;

/// <summary>The data-cache section of the environment check: each registered data set and where it stands.</summary>
public static class DataDoctor
{
    public static void Section(DoctorReport report) => Section(report, DataRegistry.Default);

    public static void Section(DoctorReport report, DataRegistry registry)
    {
        report.Add("Data", "cache", registry.CacheRoot);
        foreach (var set in registry.Datasets)
        {
            var state = DataRegistry.Summarize(registry.Check(set.Name));
            var status = state switch
            {
                DatasetState.Corrupt => DoctorStatus.Error,
                DatasetState.Missing => DoctorStatus.Warning,
                _ => DoctorStatus.Ok,
            };
            var hint = state == DatasetState.Missing ? $" (course data fetch {set.Name})" : "";
            report.Add("Data", set.Name, $"{state.ToString().ToLowerInvariant()}, {set.TotalBytes / 1e6:F1} MB, {set.License.Id}{hint}", status);
        }
    }
}
