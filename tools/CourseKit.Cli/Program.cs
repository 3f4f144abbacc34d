using System.CommandLine;
using CourseKit.Cli;
using CourseKit.Cli.Verbs;
using CourseKit.Reporting;

Reporter.Current = new ConsoleReportSink();

var root = new RootCommand("course: the CourseKit command line (notebooks, data, models, training).");
// One line per verb; each verb lives in Verbs/<Name>Verb.cs.
root.Subcommands.Add(DoctorVerb.Create());
root.Subcommands.Add(DataVerb.Create());
root.Subcommands.Add(RunVerb.Create());
root.Subcommands.Add(ExportVerb.Create());
root.Subcommands.Add(ModelVerb.Create());
root.Subcommands.Add(MetricsVerb.Create());
root.Subcommands.Add(FineTuneVerb.Create());
root.Subcommands.Add(PretrainVerb.Create());
root.Subcommands.Add(BenchVerb.Create());
root.Subcommands.Add(ReproduceVerb.Create());
root.Subcommands.Add(QaVerb.Create());
root.Subcommands.Add(RecommendVerb.Create());
root.Subcommands.Add(PromptVerb.Create());
root.Subcommands.Add(ServeVerb.Create());
root.Subcommands.Add(DistillVerb.Create());
root.Subcommands.Add(MonitorVerb.Create());
return root.Parse(args).Invoke();
