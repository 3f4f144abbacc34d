using CourseKit.Models;

namespace CourseKit.Checkpoints;

/// <summary>The part of writing a pruned model folder that every pruning method shares.</summary>
static class PrunedFolder
{
    /// <summary>Copies <paramref name="modelDir"/>'s files (config, tokenizer, sentence-transformers pooling) to
    /// <paramref name="targetDir"/>, all but the weights, which the pruning writes.</summary>
    public static void CopyAllButWeights(string modelDir, string targetDir)
    {
        Directory.CreateDirectory(targetDir);
        foreach (var file in Directory.GetFiles(modelDir))
            if (Path.GetFileName(file) != Pretrained.WeightsFile) File.Copy(file, Path.Combine(targetDir, Path.GetFileName(file)), overwrite: true);
        var pooling = Path.Combine(modelDir, "1_Pooling");
        if (!Directory.Exists(pooling)) return;
        Directory.CreateDirectory(Path.Combine(targetDir, "1_Pooling"));
        foreach (var file in Directory.GetFiles(pooling)) File.Copy(file, Path.Combine(targetDir, "1_Pooling", Path.GetFileName(file)), overwrite: true);
    }
}
