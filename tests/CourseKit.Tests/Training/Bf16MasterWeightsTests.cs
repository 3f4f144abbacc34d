using CourseKit.Native;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Training;

[KeepTensorsAlive]
public class Bf16MasterWeightsTests
{
    public Bf16MasterWeightsTests() => TorchRuntime.Initialize();

    [Fact]
    public void Updates_too_small_for_bf16_accumulate_in_the_fp32_masters()
    {
        var model = nn.Linear(4, 1, hasBias: false);
        using (torch.no_grad()) model.weight!.fill_(1.0f);
        var mixed = new Bf16MasterWeights(model);
        Assert.Equal(ScalarType.BFloat16, model.weight!.dtype);
        var sgd = optim.SGD(mixed.Masters, 1e-4);
        var x = torch.ones(2, 4, dtype: ScalarType.BFloat16);
        for (int step = 0; step < 50; step++)
        {
            using var scope = torch.NewDisposeScope();
            sgd.zero_grad();
            (model.forward(x).sum() / 2).backward();   // d/dw = 1 for every weight
            mixed.GradientsToMasters();
            Assert.Null(model.weight!.grad);
            sgd.step();
            mixed.MastersToModel();
        }
        // 1 − 1e-4 rounds back to 1 in bf16 (spacing 2⁻⁸ just below 1): bf16 weights alone would never move.
        Assert.Equal(1.0f, (torch.tensor(1.0f, ScalarType.BFloat16) - 1e-4).to(ScalarType.Float32).item<float>());
        Assert.Equal(0.995, mixed.Masters[0][0, 0].item<float>(), 5);
        Assert.Equal(0.99609375f, model.weight!.to(ScalarType.Float32)[0, 0].item<float>());   // the nearest bf16 to 0.995

        mixed.RestoreFp32Model();
        Assert.Equal(ScalarType.Float32, model.weight!.dtype);
        Assert.Equal(0.995, model.weight![0, 0].item<float>(), 5);
    }

    [Fact]
    public void Master_of_an_unknown_parameter_names_it()
    {
        var mixed = new Bf16MasterWeights(nn.Linear(2, 2));
        Assert.Contains("'nope'", Assert.Throws<KeyNotFoundException>(() => mixed.MasterOf("nope")).Message);
    }
}
