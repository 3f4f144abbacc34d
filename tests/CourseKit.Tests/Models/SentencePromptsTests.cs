using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Models;

namespace CourseKit.Tests.Models;

/// <summary>sentence-transformers' prompts file: read, written, refused when malformed, and added to older imports.</summary>
[KeepTensorsAlive]
public class SentencePromptsTests
{
    [Fact]
    public void A_folder_without_the_file_has_no_prompts_and_saved_prompts_read_back_keeping_other_fields()
    {
        var dir = TestPaths.NewTempDir("coursekit-prompts");
        Assert.Empty(SentencePrompts.Read(dir));
        File.WriteAllText(Path.Combine(dir, SentencePrompts.ConfigFile), """{"__version__": {"sentence_transformers": "2.7.0"}}""");
        Assert.Empty(SentencePrompts.Read(dir));

        SentencePrompts.Save(dir, new Dictionary<string, string> { ["query"] = "Represent this: ", ["document"] = "" });
        var prompts = SentencePrompts.Read(dir);
        Assert.Equal("Represent this: ", prompts["query"]);
        Assert.Equal("", prompts["document"]);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, SentencePrompts.ConfigFile)))!;
        Assert.Equal("2.7.0", json["__version__"]!["sentence_transformers"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"prompts\": ", "not JSON")]
    [InlineData("{\"prompts\": [\"query: \"]}", "must be an object")]
    [InlineData("{\"prompts\": {\"query\": 3}}", "prompt \"query\" is not a string")]
    public void A_malformed_file_is_refused_naming_it(string text, string expected)
    {
        var dir = TestPaths.NewTempDir("coursekit-prompts");
        File.WriteAllText(Path.Combine(dir, SentencePrompts.ConfigFile), text);
        var error = Assert.Throws<InvalidDataException>(() => SentencePrompts.Read(dir));
        Assert.Contains(Path.Combine(dir, SentencePrompts.ConfigFile), error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_known_encoder_imported_before_prompts_existed_gets_its_query_prompt()
    {
        // IsImported looks for the finished import's files; empty ones stand in for an older arctic import here.
        var dir = TestPaths.NewTempDir("coursekit-old-import");
        foreach (var file in new[] { Pretrained.ConfigFile, Pretrained.WeightsFile, Pretrained.VocabFile, Pretrained.TokenizerConfigFile, OnnxImport.ModelCardFile })
            File.WriteAllText(Path.Combine(dir, file), "");
        Assert.Empty(SentencePrompts.Read(dir));

        KnownEncoders.EnsureImported("arctic-xs", dir);

        Assert.Equal(KnownEncoders.ArcticXs.QueryPrompt, SentencePrompts.Read(dir)[SentencePrompts.Query]);
        Assert.Equal(0, new FileInfo(Path.Combine(dir, Pretrained.WeightsFile)).Length);   // not re-imported
        Assert.Null(KnownEncoders.MiniLM.QueryPrompt);
    }
}
