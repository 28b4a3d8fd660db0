namespace ResNetLab.Tests;

/// <summary>Reports on the calling thread (System.Progress posts to the thread pool).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
