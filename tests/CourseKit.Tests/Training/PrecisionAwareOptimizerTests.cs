using CourseKit.Native;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Training;

[KeepTensorsAlive]
public class PrecisionAwareOptimizerTests
{
    public PrecisionAwareOptimizerTests() => TorchRuntime.Initialize();

    static Tensor Inputs(int n) => torch.linspace(-1, 1, n * 4).reshape(n, 4);

    static TrainingTask<int> Task(nn.Module<Tensor, Tensor> model, Func<int, bool> nanAtCall)
    {
        int calls = 0;
        return new()
        {
            Model = model,
            TrainSet = Enumerable.Range(0, 32).ToList(),
            BatchSize = 8,
            Loss = batch =>
            {
                var x = Inputs(batch.Count).to(model.parameters().First().dtype);
                var loss = model.forward(x).to(ScalarType.Float32).square().mean();
                return nanAtCall(++calls) ? loss * float.NaN : loss;
            },
        };
    }

    [Fact]
    public void A_bf16_run_that_diverges_still_hands_back_an_fp32_model_with_the_master_values()
    {
        torch.manual_seed(3);
        var model = nn.Linear(4, 2);
        var task = Task(model, call => call == 3);
        var options = new TrainerOptions { Epochs = 1, LearningRate = 1e-2, Precision = Precision.Bf16, Seed = 1 };

        Assert.Throws<TrainingDivergedException>(() => Trainer.Run(task, options));

        Assert.Equal(ScalarType.Float32, model.weight!.dtype);
        Assert.Equal(ScalarType.Float32, model.bias!.dtype);
    }

    [Fact]
    public void At_full_precision_the_body_sees_fp32_masters_and_the_model_returns_to_bf16()
    {
        torch.manual_seed(3);
        var model = nn.Linear(4, 2);
        using (torch.no_grad()) model.weight!.fill_(1.001f);   // not a bf16 value: only the fp32 master holds it exactly
        var optimizer = new PrecisionAwareOptimizer(model, new TrainerOptions { LearningRate = 1e-3, Precision = Precision.Bf16 });
        Assert.Equal(ScalarType.BFloat16, model.weight!.dtype);

        float seen = 0;
        optimizer.AtFullPrecision(() => seen = model.weight![0, 0].item<float>());

        Assert.Equal(1.001f, seen);
        Assert.Equal(ScalarType.BFloat16, model.weight!.dtype);
        optimizer.Finish();
        Assert.Equal(1.001f, model.weight![0, 0].item<float>());
    }

    [Fact]
    public void An_fp32_step_is_clipping_then_adamw_on_the_model_itself()
    {
        torch.manual_seed(3);
        var model = nn.Linear(4, 2);
        var reference = nn.Linear(4, 2);
        reference.load_state_dict(model.state_dict());
        var options = new TrainerOptions { LearningRate = 1e-2, WeightDecay = 0, Precision = Precision.Fp32 };
        var optimizer = new PrecisionAwareOptimizer(model, options);
        var adamW = optim.AdamW(reference.parameters(), 1e-2, weight_decay: 0);
        var before = model.weight!.detach().clone();

        optimizer.ZeroGrad();
        (model.forward(Inputs(8)).square().mean() * 100).backward();
        optimizer.Step(maxGradNorm: 0.5);
        adamW.zero_grad();
        (reference.forward(Inputs(8)).square().mean() * 100).backward();
        nn.utils.clip_grad_norm_(reference.parameters(), 0.5);
        adamW.step();

        Assert.Equal(ScalarType.Float32, model.weight!.dtype);
        Assert.True(model.weight!.allclose(reference.weight!, rtol: 0, atol: 1e-7));
        Assert.True(model.bias!.allclose(reference.bias!, rtol: 0, atol: 1e-7));
        Assert.False(model.weight!.allclose(before));
    }
}
