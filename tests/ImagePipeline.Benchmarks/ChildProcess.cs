using System.Collections;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ImagePipeline.Benchmarks;

/// <summary>How one child process ended, with its wall time and its own resource usage from wait4.</summary>
/// <param name="ExitCode">The exit status, or -1 when a signal ended it.</param>
/// <param name="Signal">The signal that ended it, 0 when it exited.</param>
/// <param name="WallMs">From just before posix_spawnp to wait4's return.</param>
/// <param name="CpuMs">User plus system CPU time of the child (ru_utime + ru_stime).</param>
/// <param name="MaxRssKiB">The child's peak resident set size (ru_maxrss, KiB on Linux).</param>
internal sealed record ChildResult(int ExitCode, int Signal, double WallMs, double CpuMs, long MaxRssKiB)
{
    public bool Succeeded => ExitCode == 0 && Signal == 0;

    public double MaxRssMiB => MaxRssKiB / 1024.0;

    public string Describe() => Signal != 0 ? $"killed by signal {Signal}" : $"exit code {ExitCode}";
}

/// <summary>A child started by <see cref="ChildProcess.Start"/> and not reaped yet.</summary>
/// <param name="Pid">Its process id (this process's child, so wait4 can reap it).</param>
/// <param name="StartedTimestamp">Stopwatch timestamp from just before the spawn.</param>
internal sealed record RunningChild(int Pid, long StartedTimestamp);

/// <summary>
/// Runs a child with posix_spawnp and reaps exactly that child with wait4, so ru_maxrss is the child's own peak RSS.
/// System.Diagnostics.Process is deliberately not used: it reaps its children itself and gives no rusage.
/// </summary>
/// <remarks>
/// Linux carries the RSS high-water mark of the memory a process execs <em>from</em> into its ru_maxrss: a child
/// spawned straight from this (large) process would report at least this process's own peak. So by default the
/// command is started by a /bin/sh that posix_spawnp starts: the shell forks it from the shell's own tiny memory and
/// exits without waiting, this process (a child subreaper) inherits it, and wait4 reaps it with its exact rusage.
/// </remarks>
internal static unsafe partial class ChildProcess
{
    /// <summary>SIGTERM: asks a server to shut down gracefully.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGKILL: ends a process that ignored SIGTERM.</summary>
    public const int SigKill = 9;

    private const int ORdonly = 0x0, OWronly = 0x1, OCreat = 0x40, OTrunc = 0x200;
    private const short PosixSpawnSetSigDef = 0x04, PosixSpawnSetSigMask = 0x08;
    private const int SigPipe = 13;
    private const int EIntr = 4;
    private const int WNoHang = 1;
    private const int PrSetChildSubreaper = 36;

    // "$1" is the pid file; the rest is the command, started in the background so the shell exits at once. The
    // background child execs the command only once the shell is gone (reaped by Start): dash reaps a background
    // child that ends while dash still runs, which would take a fast command's exit status and rusage from us.
    private const string Trampoline = "p=$1; shift; { while kill -0 $$ 2>/dev/null; do :; done; exec \"$@\"; } & echo $! > \"$p\"";

    // glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336 and sigset_t 128: these are generous.
    private const int OpaqueSize = 1024;

    private static readonly Lazy<bool> Subreaper = new(() => Prctl(PrSetChildSubreaper, 1, 0, 0, 0) == 0);
    private static int _sequence;

    /// <summary>
    /// Starts <paramref name="file"/> (looked up on PATH when it has no slash) with <paramref name="arguments"/>,
    /// stdin from /dev/null, stdout and stderr to the given files (or /dev/null), and waits for it. With
    /// <paramref name="direct"/> the command is spawned straight from this process (its ru_maxrss then includes this
    /// process's memory: only for showing that effect).
    /// </summary>
    public static ChildResult Run(string file, IReadOnlyList<string> arguments, string? stdoutPath = null, string? stderrPath = null, bool direct = false)
    {
        if (direct)
        {
            var started = Stopwatch.GetTimestamp();
            var pid = Spawn(file, arguments, stdoutPath, stderrPath);
            var (status, usage) = Reap(pid);
            return Result(status, usage, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var child = Start(file, arguments, stdoutPath, stderrPath);

        // The shell has exited, so the command is now this process's child (running or a zombie).
        var (childStatus, childUsage) = Reap(child.Pid);
        return Result(childStatus, childUsage, Stopwatch.GetElapsedTime(child.StartedTimestamp).TotalMilliseconds);
    }

    /// <summary>
    /// Starts <paramref name="file"/> like <see cref="Run"/> (through the shell, so its ru_maxrss is its own) but
    /// returns as soon as it runs: the caller must end it with <see cref="WaitForExit"/> (after <see cref="Signal"/>,
    /// for a server), or it stays a zombie. With <paramref name="environment"/> the child gets exactly that environment
    /// instead of this process's.
    /// </summary>
    public static RunningChild Start(
        string file, IReadOnlyList<string> arguments, string? stdoutPath = null, string? stderrPath = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (!Subreaper.Value)
        {
            throw new InvalidOperationException("prctl(PR_SET_CHILD_SUBREAPER) failed: cannot adopt the commands the shell starts.");
        }

        var pidFile = Path.Combine(Path.GetTempPath(), $"imagepipeline-bench-{Environment.ProcessId}-{Interlocked.Increment(ref _sequence)}.pid");
        try
        {
            var started = Stopwatch.GetTimestamp();
            var shell = Spawn("/bin/sh", ["-c", Trampoline, "sh", pidFile, file, .. arguments], stdoutPath, stderrPath, environment);
            var (shellStatus, _) = Reap(shell);
            if (shellStatus != 0 || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                throw new InvalidOperationException($"/bin/sh did not start {file} (wait status {shellStatus}).");
            }

            return new RunningChild(pid, started);
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    /// <summary>
    /// Reaps <paramref name="child"/> with wait4 if it ends within <paramref name="timeout"/> (checked every 20 ms);
    /// null when it is still running.
    /// </summary>
    public static ChildResult? WaitForExit(RunningChild child, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            int status;
            Rusage usage;
            var reaped = Wait4(child.Pid, &status, WNoHang, &usage);
            if (reaped == child.Pid)
            {
                return Result(status, usage, Stopwatch.GetElapsedTime(child.StartedTimestamp).TotalMilliseconds);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (reaped == -1 && errno != EIntr)
            {
                throw new InvalidOperationException($"wait4({child.Pid}) failed: {Marshal.GetPInvokeErrorMessage(errno)} ({errno}).");
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return null;
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. <see cref="SigTerm"/>) to <paramref name="pid"/> with kill(2).</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: {Marshal.GetPInvokeErrorMessage(errno)} ({errno}).");
        }
    }

    private static ChildResult Result(int status, Rusage usage, double wallMs)
    {
        var signal = status & 0x7f;
        var exitCode = signal == 0 ? (status >> 8) & 0xff : -1;
        return new ChildResult(exitCode, signal, wallMs, usage.CpuMs, usage.MaxRssKiB);
    }

    private static int Spawn(string file, IReadOnlyList<string> arguments, string? stdoutPath, string? stderrPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var allocations = new List<nint>();
        byte* Utf8(string text)
        {
            var pointer = Marshal.StringToCoTaskMemUTF8(text);
            allocations.Add(pointer);
            return (byte*)pointer;
        }

        var fileActions = NativeMemory.AllocZeroed(OpaqueSize);
        var attributes = NativeMemory.AllocZeroed(OpaqueSize);
        var emptyMask = NativeMemory.AllocZeroed(OpaqueSize);
        var defaultSignals = NativeMemory.AllocZeroed(OpaqueSize);
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(arguments.Count + 2), (nuint)sizeof(byte*));
        List<string> variables = environment is null
            ? [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}")]
            : [.. environment.Select(e => $"{e.Key}={e.Value}")];
        var envp = (byte**)NativeMemory.AllocZeroed((nuint)(variables.Count + 1), (nuint)sizeof(byte*));
        try
        {
            Check(PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(PosixSpawnFileActionsAddOpen(fileActions, 0, Utf8("/dev/null"), ORdonly, 0), "posix_spawn_file_actions_addopen");
            Check(PosixSpawnFileActionsAddOpen(fileActions, 1, Utf8(stdoutPath ?? "/dev/null"), OWronly | OCreat | OTrunc, 0x1A4), "posix_spawn_file_actions_addopen");
            Check(PosixSpawnFileActionsAddOpen(fileActions, 2, Utf8(stderrPath ?? "/dev/null"), OWronly | OCreat | OTrunc, 0x1A4), "posix_spawn_file_actions_addopen");

            // .NET ignores SIGPIPE, and an ignored signal survives exec: give the child the default back, and an
            // empty signal mask.
            Check(PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            Check(SigEmptySet(emptyMask), "sigemptyset");
            Check(SigEmptySet(defaultSignals), "sigemptyset");
            Check(SigAddSet(defaultSignals, SigPipe), "sigaddset");
            Check(PosixSpawnAttrSetSigMask(attributes, emptyMask), "posix_spawnattr_setsigmask");
            Check(PosixSpawnAttrSetSigDefault(attributes, defaultSignals), "posix_spawnattr_setsigdefault");
            Check(PosixSpawnAttrSetFlags(attributes, PosixSpawnSetSigDef | PosixSpawnSetSigMask), "posix_spawnattr_setflags");

            argv[0] = Utf8(file);
            for (var i = 0; i < arguments.Count; i++)
            {
                argv[i + 1] = Utf8(arguments[i]);
            }

            for (var i = 0; i < variables.Count; i++)
            {
                envp[i] = Utf8(variables[i]);
            }

            int pid;
            var error = PosixSpawnP(&pid, argv[0], fileActions, attributes, argv, envp);
            if (error != 0)
            {
                throw new InvalidOperationException($"posix_spawnp {file} failed: {Marshal.GetPInvokeErrorMessage(error)} ({error}).");
            }

            return pid;
        }
        finally
        {
            PosixSpawnFileActionsDestroy(fileActions);
            PosixSpawnAttrDestroy(attributes);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(emptyMask);
            NativeMemory.Free(defaultSignals);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
            foreach (var pointer in allocations)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    /// <summary>wait4 on exactly <paramref name="pid"/>: its wait status and its own rusage.</summary>
    private static (int Status, Rusage Usage) Reap(int pid)
    {
        int status;
        Rusage usage;
        while (true)
        {
            var reaped = Wait4(pid, &status, 0, &usage);
            if (reaped == pid)
            {
                return (status, usage);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (reaped == -1 && errno == EIntr)
            {
                continue;
            }

            throw new InvalidOperationException($"wait4({pid}) failed: {Marshal.GetPInvokeErrorMessage(errno)} ({errno}).");
        }
    }

    /// <summary>This process's own CPU time so far (getrusage RUSAGE_SELF), for in-process measurements.</summary>
    public static double SelfCpuMs()
    {
        Rusage usage;
        if (GetRusage(0, &usage) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"getrusage failed: {Marshal.GetPInvokeErrorMessage(errno)} ({errno}).");
        }

        return usage.CpuMs;
    }

    private static void Check(int result, string function)
    {
        // posix_spawn* return the error number; the sig* functions return -1 and set errno.
        if (result != 0)
        {
            var error = result > 0 ? result : Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"{function} failed: {Marshal.GetPInvokeErrorMessage(error)} ({error}).");
        }
    }

    /// <summary>Linux x86-64 struct rusage: two timevals, then fourteen longs, ru_maxrss first.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        private fixed long _fields[18];

        public readonly double CpuMs =>
            (_fields[0] + _fields[2]) * 1000.0 + (_fields[1] + _fields[3]) / 1000.0;

        public readonly long MaxRssKiB => _fields[4];
    }

    [LibraryImport("libc", EntryPoint = "posix_spawnp")]
    private static partial int PosixSpawnP(int* pid, byte* file, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "wait4", SetLastError = true)]
    private static partial int Wait4(int pid, int* status, int options, Rusage* usage);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, Rusage* usage);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int PosixSpawnFileActionsInit(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int PosixSpawnFileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int PosixSpawnFileActionsDestroy(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int PosixSpawnAttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int PosixSpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int PosixSpawnAttrSetSigMask(void* attributes, void* mask);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int PosixSpawnAttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int PosixSpawnAttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "sigemptyset", SetLastError = true)]
    private static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "sigaddset", SetLastError = true)]
    private static partial int SigAddSet(void* set, int signal);
}
