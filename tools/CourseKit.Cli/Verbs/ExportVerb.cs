using System.CommandLine;
using System.Text;
using CourseKit.Notebooks;
using CourseKit.Notebooks.Apps;

namespace CourseKit.Cli.Verbs;

/// <summary>`course export NOTEBOOK|FOLDER --to app [--out apps/]`: each chapter as a .NET 10 file-based app.</summary>
public static class ExportVerb
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("notebooks") { Description = "Notebooks (.ipynb) or folders (their *.ipynb, sorted)", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "Export format: app (a .NET 10 file-based app, `dotnet run app.cs`)", DefaultValueFactory = _ => "app" };
        var outDir = new Option<string?>("--out") { Description = "Folder for the .cs files (default apps/ in the repository)" };
        var cmd = new Command("export", "Export notebooks as .NET 10 file-based apps (one .cs per chapter; nothing is written if any cell cannot be translated).");
        cmd.Arguments.Add(inputs);
        cmd.Options.Add(to);
        cmd.Options.Add(outDir);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            if (parse.GetValue(to) != "app") throw new ArgumentException($"export format '{parse.GetValue(to)}' is not known (only: app)");
            var notebooks = NotebookRunner.ExpandInputs(parse.GetValue(inputs) ?? Array.Empty<string>());
            var folder = parse.GetValue(outDir) ?? CoursePaths.InRepo("apps");
            // Translate everything first: one untranslatable cell and no file is written.
            var apps = notebooks.Select(path => (Path: Path.Combine(folder, Path.GetFileNameWithoutExtension(path) + ".cs"),
                Text: AppExporter.Export(NotebookDocument.Load(path), CoursePaths.RepoRoot ?? Directory.GetCurrentDirectory(), folder))).ToList();
            Directory.CreateDirectory(folder);
            foreach (var app in apps)
            {
                File.WriteAllText(app.Path, app.Text, new UTF8Encoding(false));
                output.WriteLine($"wrote {app.Path}");
            }
            return 0;
        }, ex => ex is NotebookDirectiveException or NotebookFormatException));
        return cmd;
    }
}
