using CourseKit.Models;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>How a student's weights start.</summary>
public enum StudentInit
{
    /// <summary>Embeddings, evenly spaced encoder layers (<see cref="StudentFactory.EveryOtherLayer"/>), pooler and
    /// classifier copied from the teacher (after DistilBERT).</summary>
    TeacherLayers,
    /// <summary>The same shape, drawn at random: what the teacher's layers are worth.</summary>
    Random,
    /// <summary>The kit's own CPU-pretrained BERT (<see cref="CoursePaths.KitBert"/>) with a new head.</summary>
    KitBert,
}

/// <summary>A student's name (2L, 3L, 2L-random, 3L-random, kit), its layer count and its initialisation.</summary>
public sealed record StudentSpec(string Name, int Layers, StudentInit Init);

/// <summary>A student ready to train, its tokenizer, and which teacher tensor each of its tensors was copied from
/// (student name → teacher name; empty when nothing was copied).</summary>
public sealed record Student(StudentSpec Spec, BertForSequenceClassification Model, BertTextTokenizer Tokenizer,
    IReadOnlyDictionary<string, string> CopiedFrom, int[] TeacherLayers);

/// <summary>
/// Builds the students of chapter 10 from a fine-tuned teacher: the teacher's shape with fewer layers, started from the
/// teacher's own layers (DistilBERT's "take one layer out of two", Sanh et al. 2019) or at random, or the kit's small
/// pretrained BERT (its own tokenizer: only the logit and pooled-vector losses apply to it).
/// </summary>
public static class StudentFactory
{
    public static readonly IReadOnlyList<string> Kinds = ["2L", "3L", "2L-random", "3L-random", "kit"];

    public static StudentSpec Parse(string name)
    {
        var word = name.Trim();
        return word.ToLowerInvariant() switch
        {
            "2l" => new StudentSpec("2L", 2, StudentInit.TeacherLayers),
            "3l" => new StudentSpec("3L", 3, StudentInit.TeacherLayers),
            "2l-random" => new StudentSpec("2L-random", 2, StudentInit.Random),
            "3l-random" => new StudentSpec("3L-random", 3, StudentInit.Random),
            "kit" => new StudentSpec("kit", 0, StudentInit.KitBert),
            _ => throw new ArgumentException($"unknown student '{name}'; known: {string.Join(", ", Kinds)}"),
        };
    }

    /// <summary>Which teacher layer each student layer starts from: evenly spaced from the bottom (6 → 3: 0, 2, 4;
    /// 6 → 2: 0, 3), so the teacher's top layer is not copied. DistilBERT's extraction (12 → 6) keeps 0, 2, 4, 7, 9, 11,
    /// top layer included; here the pooler and classifier copied on top were trained above the teacher's last layer.</summary>
    public static int[] EveryOtherLayer(int teacherLayers, int studentLayers)
    {
        if (studentLayers < 1 || studentLayers > teacherLayers)
            throw new ArgumentOutOfRangeException(nameof(studentLayers), studentLayers, $"a student needs 1..{teacherLayers} layers");
        return Enumerable.Range(0, studentLayers).Select(i => i * teacherLayers / studentLayers).ToArray();
    }

    /// <param name="kitDir">the kit's pretrained BERT folder (default <see cref="CoursePaths.KitBert"/>).</param>
    public static Student Create(string name, BertForSequenceClassification teacher, BertTextTokenizer teacherTokenizer, int seed, string? kitDir = null)
    {
        var spec = Parse(name);
        return spec.Init switch
        {
            StudentInit.TeacherLayers => FromTeacherLayers(spec, teacher, teacherTokenizer, seed),
            StudentInit.Random => RandomLike(spec, teacher, teacherTokenizer, seed),
            _ => FromKitBert(spec, teacher.Config, kitDir ?? CoursePaths.KitBert, seed),
        };
    }

    /// <summary>The teacher's config with <paramref name="layers"/> layers (labels, widths and vocabulary kept).</summary>
    public static BertConfig ShallowConfig(BertConfig teacher, int layers)
    {
        var config = teacher.Clone();
        config.NumHiddenLayers = layers;
        config.Architectures = [nameof(BertForSequenceClassification)];
        return config;
    }

    static Student RandomLike(StudentSpec spec, BertForSequenceClassification teacher, BertTextTokenizer tokenizer, int seed)
    {
        torch.manual_seed(seed);
        var model = new BertForSequenceClassification(ShallowConfig(teacher.Config, spec.Layers));
        return new Student(spec, model, tokenizer, new Dictionary<string, string>(), []);
    }

    /// <summary>Every tensor of the student is copied from the teacher: bert.embeddings.*, bert.pooler.*, classifier.*
    /// under the same name, and bert.encoder.layer.{j}.* from bert.encoder.layer.{map[j]}.*.</summary>
    static Student FromTeacherLayers(StudentSpec spec, BertForSequenceClassification teacher, BertTextTokenizer tokenizer, int seed)
    {
        var layers = EveryOtherLayer(teacher.Config.NumHiddenLayers, spec.Layers);
        torch.manual_seed(seed);
        var model = new BertForSequenceClassification(ShallowConfig(teacher.Config, spec.Layers));
        var teacherState = teacher.state_dict();
        var copied = new Dictionary<string, string>();
        using (no_grad())
        {
            foreach (var (name, tensor) in model.state_dict())
            {
                var source = TeacherName(name, layers);
                if (!teacherState.TryGetValue(source, out var from))
                    throw new InvalidOperationException($"the teacher has no tensor {source} for the student's {name}");
                tensor.copy_(from);
                copied[name] = source;
            }
        }
        return new Student(spec, model, tokenizer, copied, layers);
    }

    /// <summary>bert.encoder.layer.{j}.rest → bert.encoder.layer.{map[j]}.rest; any other name is the same in both.</summary>
    public static string TeacherName(string studentName, int[] layerMap)
    {
        const string prefix = "bert.encoder.layer.";
        if (!studentName.StartsWith(prefix, StringComparison.Ordinal)) return studentName;
        var rest = studentName[prefix.Length..];
        int dot = rest.IndexOf('.');
        int j = int.Parse(rest[..dot], System.Globalization.CultureInfo.InvariantCulture);
        return $"{prefix}{layerMap[j]}{rest[dot..]}";
    }

    static Student FromKitBert(StudentSpec spec, BertConfig teacherConfig, string kitDir, int seed)
    {
        if (!File.Exists(Path.Combine(kitDir, Pretrained.ConfigFile)))
            throw new DirectoryNotFoundException($"{kitDir}: the kit's pretrained BERT is not there (chapter 03's masked-LM pretraining writes it)");
        torch.manual_seed(seed); // the new head
        var labels = Enumerable.Range(0, teacherConfig.NumLabels).Select(i => teacherConfig.Id2Label?[i.ToString()] ?? $"LABEL_{i}").ToArray();
        var model = BertForSequenceClassification.FromPretrained(kitDir, labels);
        var tokenizer = Pretrained.LoadTokenizer(kitDir);
        return new Student(spec with { Layers = model.Config.NumHiddenLayers }, model, tokenizer, new Dictionary<string, string>(), []);
    }
}
