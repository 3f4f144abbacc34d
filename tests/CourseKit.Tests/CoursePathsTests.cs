namespace CourseKit.Tests;

/// <summary><see cref="CoursePaths"/>: one resolver of the repository root and the kit's folders.</summary>
[KeepTensorsAlive]
public class CoursePathsTests
{
    [Fact]
    public void Repository_root_holds_the_solution_and_the_library()
    {
        var root = CoursePaths.RepoRoot;
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "Course.sln")));
        Assert.True(File.Exists(Path.Combine(root, "lib", "CourseKit", "CoursePaths.cs")));
    }

    [Fact]
    public void Kit_bert_is_the_default_pretraining_runs_model_folder_under_the_root()
    {
        var root = CoursePaths.RepoRoot!;
        Assert.Equal(Path.Combine(root, "artifacts", "pretrain", "bert", "model"), CoursePaths.KitBert);
        Assert.Equal(CoursePaths.KitBert, Path.Combine(CoursePaths.PretrainBertRun, "model"));
        Assert.Equal(Path.Combine(root, "artifacts"), CoursePaths.Artifacts);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_root_and_rooted_ones_stay()
    {
        var root = CoursePaths.RepoRoot!;
        Assert.Equal(Path.Combine(root, "notebooks", "x.ipynb"), CoursePaths.Resolve("notebooks/x.ipynb"));
        Assert.Equal(Path.Combine(root, "a", "b"), CoursePaths.InRepo("a", "b"));
        var rooted = Path.Combine(Path.GetTempPath(), "elsewhere");
        Assert.Equal(Path.GetFullPath(rooted), CoursePaths.Resolve(rooted));
    }

    [Fact]
    public void Imported_models_live_in_artifacts_models_by_plain_name()
    {
        Assert.Equal(Path.Combine(CoursePaths.RepoRoot!, "artifacts", "models", "all-MiniLM-L6-v2"), CoursePaths.ImportedModel("all-MiniLM-L6-v2"));
        foreach (var bad in new[] { "", "..", "a/b", "a\\b" })
            Assert.Throws<ArgumentException>(() => CoursePaths.ImportedModel(bad));
    }

    [Fact]
    public void The_data_cache_is_the_variable_when_set_else_inside_the_repository()
    {
        var fromEnv = Environment.GetEnvironmentVariable(CoursePaths.DataCacheVariable);
        var expected = string.IsNullOrWhiteSpace(fromEnv) ? Path.Combine(CoursePaths.RepoRoot!, "datasets", ".cache") : Path.GetFullPath(fromEnv);
        Assert.Equal(expected, CoursePaths.DataCache);
        Assert.Equal(Path.Combine(CoursePaths.RepoRoot!, "datasets"), CoursePaths.CommittedData);
    }
}
