using CourseKit.Checkpoints;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Checkpoints;

[KeepTensorsAlive]
public class AtomicFileTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir();
    public AtomicFileTests() => TorchRuntime.Initialize();
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Write_leaves_only_the_target_file()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        using var t = ones(3);
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["t"] = t }); // overwrite too
        Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_throwing_writer_keeps_the_old_file_and_leaves_no_temp()
    {
        var path = Path.Combine(_dir, "state.bin");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[] { 9, 9, 9, 9, 9 });
            s.Flush();
            Assert.Equal(2, Directory.GetFiles(_dir).Length); // the temp file exists mid-write, beside the target
            Assert.True(AtomicFile.IsTempFile(Directory.GetFiles(_dir).Single(f => f != path)));
            throw new InvalidOperationException("disk full (simulated)");
        }));
        Assert.Equal("disk full (simulated)", e.Message);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void Failed_tensor_save_does_not_clobber_the_old_checkpoint()
    {
        var path = Path.Combine(_dir, "ckpt.safetensors");
        using var good = arange(4, ScalarType.Float32);
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["w"] = good });
        var before = File.ReadAllBytes(path);
        using var bad = zeros(2, ScalarType.ComplexFloat64);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["w"] = good, ["c"] = bad }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void WriteAllText_creates_missing_folders()
    {
        var path = Path.Combine(_dir, "a", "b", "note.txt");
        AtomicFile.WriteAllText(path, "héllo");
        Assert.Equal("héllo", File.ReadAllText(path));
    }
}
