using System.Globalization;
using Microsoft.Data.Analysis;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>How many parameters train, as Hugging Face PEFT's print_trainable_parameters, with a table by module.</summary>
public sealed record TrainableParameters(long Trainable, long All, DataFrame ByModule)
{
    public double TrainablePercent => All == 0 ? 0 : 100.0 * Trainable / All;

    /// <summary>"trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730", PEFT's format.</summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture,
        "trainable params: {0:N0} || all params: {1:N0} || trainable%: {2:F4}", Trainable, All, TrainablePercent);

    /// <summary>Counts <paramref name="model"/>'s parameters. ByModule has one row per module that owns trainable
    /// parameters (module, trainable, total), in model order.</summary>
    public static TrainableParameters Of(nn.Module model)
    {
        long all = 0, trainable = 0;
        var rows = new List<(string module, long trainable, long total)>();
        foreach (var (name, p) in model.named_parameters())
        {
            long n = p.numel();
            all += n;
            if (p.requires_grad) trainable += n;
            var cut = name.LastIndexOf('.');
            var module = cut < 0 ? "(root)" : name[..cut];
            var i = rows.FindIndex(r => r.module == module);
            var add = (p.requires_grad ? n : 0, n);
            if (i < 0) rows.Add((module, add.Item1, add.n));
            else rows[i] = (module, rows[i].trainable + add.Item1, rows[i].total + add.n);
        }
        rows = rows.Where(r => r.trainable > 0).ToList();
        var frame = new DataFrame(
            new StringDataFrameColumn("module", rows.Select(r => r.module)),
            new Int64DataFrameColumn("trainable", rows.Select(r => r.trainable)),
            new Int64DataFrameColumn("total", rows.Select(r => r.total)));
        return new TrainableParameters(trainable, all, frame);
    }
}
