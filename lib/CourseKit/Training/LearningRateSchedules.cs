namespace CourseKit.Training;

/// <summary>Learning-rate multipliers by optimizer step: linear warm-up, then constant, linear or cosine decay to 0.</summary>
public static class LearningRateSchedules
{
    public static Func<int, double> Multiplier(LrSchedule schedule, long warmupSteps, long totalSteps) => step =>
    {
        if (step < warmupSteps) return (step + 1) / (double)warmupSteps;
        long decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((step - warmupSteps) / (double)decaySteps, 0, 1);
        return schedule switch
        {
            LrSchedule.Constant => 1.0,
            LrSchedule.Linear => 1.0 - progress,
            LrSchedule.Cosine => 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule)),
        };
    };
}
