using CourseKit.Native;
using CourseKit.Peft;
using CourseKit.Training;
using TorchSharp;
using static CourseKit.Tests.Peft.PeftTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Peft;

[Collection(PeftSerialCollection.Name)]
[KeepTensorsAlive]
public class AdaLoraTests
{
    public AdaLoraTests() => TorchRuntime.Initialize();

    /// <summary>init_r 4, target_r 2 on query+value of 2 layers: budgets 16 → 8. tinit 2, tfinal 2, total 12: the cubic
    /// runs over steps 3..10 with denominator 12 − 2 − 2 = 8; budget = ⌊8·(1 − (t−2)/8)³ + 8⌋, worked by hand:
    /// t=3: 8·(7/8)³ = 5.36 → 13; t=4: 8·0.75³ = 3.375 → 11; t=6: 8·0.5³ = 1 → 9; t=8: 8·0.25³ = 0.125 → 8; t ≥ 10: 8.</summary>
    static readonly Dictionary<long, int> HandWorkedBudget = new() { [1] = 16, [2] = 16, [3] = 13, [4] = 11, [6] = 9, [8] = 8, [10] = 8, [11] = 8, [12] = 8 };

    [Fact]
    public void Budget_schedule_is_the_cubic_one()
    {
        var config = new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 2, TFinal = 2, TotalStep = 12 };
        foreach (var (step, budget) in HandWorkedBudget)
            Assert.Equal(budget, config.BudgetSchedule(step, modules: 4).Budget);
        Assert.False(config.BudgetSchedule(2, 4).Mask);
        Assert.True(config.BudgetSchedule(3, 4).Mask);
        Assert.False((config with { DeltaT = 2 }).BudgetSchedule(3, 4).Mask);
    }

    [Fact]
    public void Tied_importance_scores_still_keep_exactly_the_budget()
    {
        // No importance has been measured yet, so every triplet scores 0: a threshold at the k-th score would drop
        // all of them (or none); the budget must hold whatever ties the scores contain.
        var peft = PeftModel.Create(Base(Head.Sequence), new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 2, TFinal = 2, TotalStep = 12 });
        var tuner = (AdaLoraTuner)peft.Tuner;
        using (no_grad())
            foreach (var l in tuner.AdaLoraLayers) l.lora_E.fill_(1f);
        Assert.Equal(tuner.InitialBudget, tuner.AdaLoraLayers.Sum(l => l.Rank));
        peft.AfterOptimizerStep(10);                                   // step 10 = TotalStep − TFinal: the final mask
        Assert.Equal(tuner.TargetBudget, tuner.AdaLoraLayers.Sum(l => l.Rank));
        Assert.Equal(tuner.TargetBudget, tuner.RankHistory[^1].TotalRank);
    }

    [Fact]
    public void Total_rank_follows_the_budget_when_the_hook_is_driven_by_hand()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 2, TFinal = 2, TotalStep = 12 });
        var tuner = (AdaLoraTuner)peft.Tuner;
        var optimizer = ParameterGroups.AdamW(peft, new TrainerOptions { LearningRate = 1e-2 });
        peft.train();
        for (long step = 1; step <= 12; step++)
        {
            optimizer.zero_grad();
            Run(peft, Head.Sequence).Loss!.backward();
            optimizer.step();
            peft.AfterOptimizerStep(step);
        }
        var byStep = tuner.RankHistory.ToDictionary(r => r.Step);
        Assert.Equal(12, byStep.Count);
        foreach (var (step, budget) in HandWorkedBudget)
        {
            Assert.Equal(budget, byStep[step].Budget);
            Assert.Equal(budget, byStep[step].TotalRank);
        }
        Assert.All(tuner.RankHistory, r => Assert.All(r.Ranks.Values, rank => Assert.InRange(rank, 0, 4)));
        // From step total − tfinal = 10 on, the rank pattern is frozen.
        Assert.Equal(byStep[10].Ranks, byStep[11].Ranks);
        Assert.Equal(byStep[10].Ranks, byStep[12].Ranks);
        // The model's Λ holds exactly that many non-zero singular values.
        Assert.Equal(8, tuner.AdaLoraLayers.Sum(l => (int)l.lora_E.ne(0).sum().item<long>()));

        var frame = tuner.RankFrame();
        Assert.Equal(12 * (4 + 2), frame.Rows.Count);
        var figure = CourseKit.Viz.Charts.ToFigureJson(tuner.PlotRanks());
        Assert.Contains("bert.encoder.layer.0.attention.self.query", figure);
    }

    /// <summary>12 steps of an AdaLoRA run (schedule over <paramref name="totalStep"/>) through the Trainer with checkpoints every 2 steps; <paramref name="killAtLoss"/> cancels
    /// on that loss call (the step it belongs to is lost). Returns the PeftModel.</summary>
    static PeftModel AdaLoraRun(string dir, bool resume, int baseSeed, int? killAtLoss = null, int totalStep = 12)
    {
        var peft = PeftModel.Create(Base(Head.Token, seed: baseSeed), new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 1, TFinal = 2, TotalStep = totalStep });
        var (ids, mask) = Batch();
        var labels = Labels(Head.Token);
        using var kill = new CancellationTokenSource();
        int calls = 0;
        var task = new TrainingTask<int>
        {
            Model = peft,
            TrainSet = Enumerable.Range(0, 4).ToList(),
            BatchSize = 4,
            Loss = batch =>
            {
                if (++calls == killAtLoss) kill.Cancel();
                return peft.forward(ids, mask, null, labels).Loss!;
            },
            Store = new PeftModelStore(),
        };
        var options = new TrainerOptions { MaxSteps = 12, LearningRate = 1e-2, Seed = 3, OutputDir = dir, SaveEverySteps = 2, Resume = resume };
        if (killAtLoss is null) Trainer.Run(task, options);
        else Assert.Throws<OperationCanceledException>(() => Trainer.Run(task, options, kill.Token));
        return peft;
    }

    static bool Same(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.to(float64).sub(b.to(float64)).abs().max().item<double>() == 0;
    }

    [Fact]
    public void Killed_and_resumed_run_keeps_the_importance_averages_and_ends_like_an_uninterrupted_one()
    {
        // A 40-step schedule stopped at 12: the importance averages are still live at the end, so they are compared too.
        var whole = AdaLoraRun(TestPaths.NewTempDir(), resume: false, baseSeed: 1, totalStep: 40);

        var dir = TestPaths.NewTempDir();
        AdaLoraRun(dir, resume: false, baseSeed: 1, killAtLoss: 7, totalStep: 40);   // step 7 is lost: back to the checkpoint at step 6
        Assert.EndsWith("step-0000006", TrainerCheckpoint.FindLatest(dir));
        var resumed = AdaLoraRun(dir, resume: true, baseSeed: 1, totalStep: 40);

        var wholeTuner = (AdaLoraTuner)whole.Tuner;
        var resumedTuner = (AdaLoraTuner)resumed.Tuner;
        Assert.Equal(wholeTuner.RankHistory.Select(r => (r.Step, r.Budget, r.TotalRank)), resumedTuner.RankHistory.Select(r => (r.Step, r.Budget, r.TotalRank)));
        Assert.Equal(wholeTuner.RankHistory.Select(r => string.Join(",", r.Ranks.Values)), resumedTuner.RankHistory.Select(r => string.Join(",", r.Ranks.Values)));
        var expected = whole.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in resumed.named_parameters().Where(p => p.parameter.requires_grad))
            Assert.True(Same(p, expected[name]), $"{name} differs after resume (max |Δ| {MaxAbsDiff(p, expected[name])})");
        var wholeState = ((ITrainingState)whole).TrainingState();
        var resumedState = ((ITrainingState)resumed).TrainingState();
        Assert.Equal(wholeState.Keys.Order(), resumedState.Keys.Order());
        Assert.Contains(wholeState.Keys, k => k.EndsWith(".ema_uncertainty"));
        foreach (var (key, t) in wholeState) Assert.True(Same(t, resumedState[key]), $"{key} differs after resume");
    }

    [Fact]
    public void Training_state_holds_the_averages_the_final_mask_and_the_rank_log()
    {
        var peft = AdaLoraRun(TestPaths.NewTempDir(), resume: false, baseSeed: 1);
        var tuner = (AdaLoraTuner)peft.Tuner;
        var state = ((ITrainingState)peft).TrainingState();
        Assert.Equal(12, state["adalora.rank_history"].shape[0]);
        Assert.Equal(2 * 2, state.Keys.Count(k => k.EndsWith(".final_keep")));          // query and value of 2 layers
        Assert.Equal(2 * 2 * 3 * 2, state.Keys.Count(k => k.Contains(".ema_")));         // A, E, B × sensitivity, uncertainty

        var copy = AdaLoraRun(TestPaths.NewTempDir(), resume: false, baseSeed: 5);
        ((ITrainingState)copy).LoadTrainingState(state);
        var copied = ((ITrainingState)copy).TrainingState();
        Assert.Equal(state.Keys.Order(), copied.Keys.Order());
        foreach (var (key, t) in state) Assert.True(Same(t, copied[key]), key);
        Assert.Equal(tuner.RankHistory.Select(r => r.TotalRank), ((AdaLoraTuner)copy.Tuner).RankHistory.Select(r => r.TotalRank));
    }

    [Fact]
    public void The_trainer_runs_the_schedule_without_being_told()
    {
        // total 8, tinit 1, tfinal 2: the cubic over steps 2..5 (denominator 5); budget = ⌊8·(1 − (t−1)/5)³ + 8⌋:
        // t=2: 8·0.512 = 4.1 → 12; t=3: 8·0.216 = 1.7 → 9; t=4: 8·0.064 → 8; t=5: 8·0.008 → 8; t ≥ 6: 8.
        var peft = PeftModel.Create(Base(Head.Token), new AdaLoraConfig { InitR = 4, TargetR = 2, TInit = 1, TFinal = 2, TotalStep = 8 });
        var (ids, mask) = Batch();
        var labels = Labels(Head.Token);
        var task = new TrainingTask<int>
        {
            Model = peft,
            TrainSet = Enumerable.Range(0, 4).ToList(),
            BatchSize = 4,
            Loss = batch => peft.forward(ids, mask, null, labels).Loss!,
        };
        Trainer.Run(task, new TrainerOptions { MaxSteps = 8, LearningRate = 1e-2, Seed = 3 });
        var tuner = (AdaLoraTuner)peft.Tuner;
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, tuner.RankHistory.Select(r => r.Step));
        Assert.Equal(new[] { 16, 12, 9, 8, 8, 8, 8, 8 }, tuner.RankHistory.Select(r => r.TotalRank));
    }

    [Fact]
    public void Orthogonality_regulariser_is_zero_for_orthonormal_factors_and_added_to_the_training_loss()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), new AdaLoraConfig { InitR = 4, TargetR = 2, TotalStep = 10, OrthRegWeight = 0.5 });
        var tuner = (AdaLoraTuner)peft.Tuner;
        var random = tuner.RegularizationLoss()!.item<float>();
        // N(0, 0.02²) factors: AAᵀ ≈ 32·0.0004·I = 0.0128·I, so each ‖AAᵀ − I‖_F ≈ 0.987·‖I₄‖_F = 1.97; times 0.5 ≈ 0.99.
        Assert.InRange(random, 0.95f, 1.0f);
        using (no_grad())
            foreach (var l in tuner.AdaLoraLayers)
            {
                l.lora_A.zero_();
                l.lora_B.zero_();
                for (int i = 0; i < 4; i++) { l.lora_A[i, 3 * i] = tensor(1f); l.lora_B[5 * i + 1, i] = tensor(1f); }
            }
        Assert.True(tuner.RegularizationLoss()!.item<float>() < 1e-6);
        using (no_grad())
            tuner.AdaLoraLayers[0].lora_A[0, 1] = tensor(1f);   // row 0 of A becomes e0 + e1: (AAᵀ − I) is 1 at (0, 0) only
        // one of 2·4 factor matrices has Frobenius distance 1: mean 1/8, times 0.5
        Assert.Equal(0.5 / 8, tuner.RegularizationLoss()!.item<float>(), tolerance: 1e-6);

        peft.train();
        var withReg = Run(peft, Head.Sequence).Loss!.item<float>();
        peft.Model.train();
        var (ids, mask) = Batch();
        var plain = peft.Model.forward(ids, mask, null, Labels(Head.Sequence)).Loss!.item<float>();
        Assert.Equal(plain + 0.5 / 8, withReg, tolerance: 1e-5);
    }

    [Fact]
    public void Without_gradients_the_allocator_says_when_to_call_it()
    {
        var peft = PeftModel.Create(Base(Head.Sequence), new AdaLoraConfig { InitR = 4, TargetR = 2, TotalStep = 10 });
        var ex = Assert.Throws<InvalidOperationException>(() => peft.AfterOptimizerStep(1));
        Assert.Contains("backward()", ex.Message);
    }
}
