using System.Runtime.InteropServices;

namespace ResNetLab.Cli;

/// <summary>
/// SIGTERM (Slurm preemption, requeue, scancel, time limit) and SIGUSR1 (Slurm's --signal ahead of the time limit)
/// cancel training: the trainer writes a checkpoint and the command exits 130. Repeated signals are absorbed, since
/// Slurm signals both the batch shell (which passes it on) and the task itself.
/// </summary>
static class StopSignals
{
    /// <summary>SIGUSR1 on Linux; not in <see cref="PosixSignal"/>, but raw signal numbers are accepted on Unix.</summary>
    const int SigUsr1Linux = 10;

    public static IDisposable Register(CancellationTokenSource cancel)
    {
        void Stop(PosixSignalContext c) { c.Cancel = true; cancel.Cancel(); }
        var registrations = new List<PosixSignalRegistration> { PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) };
        if (OperatingSystem.IsLinux()) registrations.Add(PosixSignalRegistration.Create((PosixSignal)SigUsr1Linux, Stop));
        return new Registrations(registrations);
    }

    sealed class Registrations(List<PosixSignalRegistration> items) : IDisposable
    {
        public void Dispose() { foreach (var r in items) r.Dispose(); }
    }
}
