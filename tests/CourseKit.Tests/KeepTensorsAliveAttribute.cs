using System.Reflection;
using CourseKit.Native;
using Xunit.Sdk;

namespace CourseKit.Tests;

/// <summary>
/// Every test class carries this (KeepTensorsAliveTests checks): a test's tensors stay reachable until it ends
/// (<see cref="TensorKeepAlive"/>), so the collections the other parallel test and xunit's reporting threads trigger
/// cannot free a temporary such as <c>a.eq(b)</c> in <c>a.eq(b).all()</c> under the native call reading it. Without it
/// the fresh-clone CI's test host crashed in 4 of 7 runs (TorchSharp 0.107's finalizer race; README).
/// Async tests are left alone: after an await they may resume on another thread, whose scope is not theirs; their
/// tensors live in the service's own dispose scopes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class KeepTensorsAliveAttribute : BeforeAfterTestAttribute
{
    // Reflection builds a fresh attribute for each test case; a theory's rows run one after another on it.
    TensorKeepAlive? _held;

    public override void Before(MethodInfo methodUnderTest) => _held = IsAsync(methodUnderTest) ? null : new TensorKeepAlive();

    public override void After(MethodInfo methodUnderTest)
    {
        _held?.Dispose();
        _held = null;
    }

    static bool IsAsync(MethodInfo method) =>
        typeof(Task).IsAssignableFrom(method.ReturnType) || method.ReturnType.Name.StartsWith("ValueTask");
}
