using System.Reflection;
using System.Runtime.CompilerServices;
using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Tests.Native;

[KeepTensorsAlive]
public class KeepTensorsAliveTests
{
    [Fact]
    public void Every_test_class_keeps_its_tensors_alive()
    {
        static bool IsTest(MethodInfo m) => m.GetCustomAttributes<FactAttribute>(inherit: true).Any();
        var unguarded = typeof(KeepTensorsAliveTests).Assembly.GetTypes()
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static).Any(IsTest))
            .Where(t => t.GetCustomAttribute<KeepTensorsAliveAttribute>(inherit: true) is null)
            .Select(t => t.FullName).ToList();
        Assert.True(unguarded.Count == 0, "add [KeepTensorsAlive] to: " + string.Join(", ", unguarded));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference Dropped() => new(torch.ones(3));

    static void CollectEverything()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void A_dropped_tensor_lives_until_the_keep_alive_closes_and_a_kept_one_is_not_disposed()
    {
        TorchRuntime.Initialize();
        var keepAlive = new TensorKeepAlive();
        var kept = torch.arange(3, dtype: torch.float32);
        var dropped = Dropped();
        CollectEverything();
        Assert.True(dropped.IsAlive, "a dropped tensor was collected while the keep-alive was open");
        Assert.Equal(2, keepAlive.Held);

        keepAlive.Dispose();
        Assert.Equal(0, keepAlive.Held);
        CollectEverything();
        Assert.False(dropped.IsAlive, "the keep-alive still held a dropped tensor after it closed");
        Assert.False(kept.IsInvalid);                               // let go, not disposed
        Assert.Equal(new[] { 0f, 1f, 2f }, kept.data<float>().ToArray());
        kept.Dispose();
    }

    [Fact]
    public void Closing_on_another_thread_is_refused_and_the_opener_can_still_close_it()
    {
        var keepAlive = new TensorKeepAlive();
        Exception? error = null;
        var other = new Thread(() => { try { keepAlive.Dispose(); } catch (Exception e) { error = e; } });
        other.Start();
        other.Join();
        var refused = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("close it on the thread that opened it", refused.Message);
        using var tensor = torch.zeros(2);                          // still open: held
        Assert.Equal(1, keepAlive.Held);
        keepAlive.Dispose();
        Assert.Equal(0, keepAlive.Held);
    }

    [Fact]
    public void Temporaries_survive_collections_on_another_thread()
    {
        // a.eq(b).all(): the temporary a.eq(b) is unreachable once its handle is read. With collections running back
        // to back on another thread, TorchSharp 0.107 frees it under all() now and then: without the keep-alive this loop
        // crashed the test host (measured).
        TorchRuntime.Initialize();
        using var a = torch.arange(64, dtype: torch.float32);
        using var b = a.clone();
        bool stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } }) { IsBackground = true };
        collector.Start();
        int equal = 0, held = 0;
        const int Calls = 200_000;
        try
        {
            // On a thread of its own, so no scope of the test host's holds the temporaries.
            var worker = new Thread(() =>
            {
                using var keepAlive = new TensorKeepAlive();
                for (int i = 0; i < Calls; i++)
                    if (a.eq(b).all().item<bool>()) equal++;
                held = keepAlive.Held;
            });
            worker.Start();
            worker.Join();
        }
        finally { Volatile.Write(ref stop, true); collector.Join(); }
        Assert.Equal(2 * Calls, held);
        Assert.Equal(Calls, equal);
    }
}
