using TorchSharp;

namespace CourseKit.Native;

/// <summary>
/// A dispose scope that never disposes: while it is open it holds every tensor created on its thread, so none of them
/// can be finalized under a native call that still reads it. It exists because TorchSharp 0.107 frees a dropped tensor
/// from the finalizer thread: in <c>a.eq(b).all()</c> the temporary <c>a.eq(b)</c> is unreachable once its handle has
/// been read, and a collection triggered by another thread (a parallel test, a progress display, a compiler) can free
/// it while <c>all</c> is still reading it, a use-after-free that crashes the process without a managed stack
/// (dotnet/TorchSharp#1496; the README's "Scalars and the garbage collector"). Closing it lets the tensors go
/// (detached, not disposed): those still referenced live on, the rest are freed by their finalizers once no native
/// call can be reading them. Open one around a unit of work whose own code creates temporaries outside dispose scopes
/// (a test, a notebook cell) on the thread that runs it; the library's loops use <c>torch.NewDisposeScope()</c>.
/// </summary>
public sealed class TensorKeepAlive : IDisposable
{
    readonly DisposeScope _scope = Open();
    readonly int _openedOn = Environment.CurrentManagedThreadId;
    bool _closed;

    // TorchRuntime first: touching `torch` loads the native library, which must be the kit's patched copy.
    static DisposeScope Open()
    {
        TorchRuntime.Initialize();
        return torch.NewDisposeScope();
    }

    /// <summary>Tensors held now (created on this thread since it opened, not disposed, not moved out).</summary>
    public int Held => _closed ? 0 : _scope.DisposablesCount;

    /// <summary>Lets every held tensor go without disposing it and closes the scope, on the thread that opened it:
    /// TorchSharp keeps one stack of scopes per thread, and closing from another thread would pop whatever that
    /// thread has open at the time.</summary>
    public void Dispose()
    {
        if (_closed) return;
        if (Environment.CurrentManagedThreadId != _openedOn)
            throw new InvalidOperationException(
                $"a TensorKeepAlive opened on thread {_openedOn} was closed on thread {Environment.CurrentManagedThreadId}; " +
                "close it on the thread that opened it (before the first await that waits)");
        _closed = true;
        _scope.Detach(_scope.DisposablesView);
        _scope.Dispose();
    }
}
