using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Text;

/// <summary>Input tensors for a batch: int64 [batch, length] each. Dispose to free them.</summary>
public sealed class BatchTensors : IDisposable
{
    public BatchTensors(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
    }

    public Tensor InputIds { get; }
    public Tensor AttentionMask { get; }
    public Tensor TokenTypeIds { get; }

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
    }
}

/// <summary>Encodings of equal length (padded), ready to become tensors.</summary>
public sealed class TokenizedBatch
{
    public TokenizedBatch(IReadOnlyList<TokenizedText> items)
    {
        if (items.Count > 0 && items.Any(i => i.Length != items[0].Length))
            throw new ArgumentException($"batch items have lengths {string.Join(", ", items.Select(i => i.Length).Distinct())}: pad them first", nameof(items));
        Items = items;
    }

    public IReadOnlyList<TokenizedText> Items { get; }
    public int Count => Items.Count;
    public int SequenceLength => Items.Count == 0 ? 0 : Items[0].Length;

    /// <summary>Pads every item to <paramref name="length"/> or, when null, to the longest item.</summary>
    public static TokenizedBatch Pad(IReadOnlyList<TokenizedText> items, int padId, string padToken, int? length = null)
    {
        int target = length ?? (items.Count == 0 ? 0 : items.Max(i => i.Length));
        return new TokenizedBatch(items.Select(i => i.PadTo(target, padId, padToken)).ToArray());
    }

    /// <summary>int64 tensors [batch, length] of the ids, attention mask and token-type ids, on <paramref name="device"/> (CPU by default).</summary>
    public BatchTensors ToTensors(Device? device = null)
    {
        long b = Count, t = SequenceLength;
        Tensor Make(Func<TokenizedText, IReadOnlyList<int>> pick)
        {
            var flat = new long[b * t];
            for (int i = 0; i < Count; i++)
            {
                var row = pick(Items[i]);
                for (int j = 0; j < t; j++) flat[i * t + j] = row[j];
            }
            var cpu = tensor(flat, new[] { b, t }, ScalarType.Int64);
            if (device is null || device.type == DeviceType.CPU) return cpu;
            using (cpu) return cpu.to(device);
        }
        return new BatchTensors(Make(x => x.InputIds), Make(x => x.AttentionMask), Make(x => x.TokenTypeIds));
    }
}
