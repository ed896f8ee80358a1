using ImagePipeline.Functions.Runtime;

namespace ImagePipeline.Functions.Tests;

public sealed class DeadlineTimerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DelayUntilCancel_AmpleTime_DeadlineMinusMargin()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(29_250), DeadlineTimer.DelayUntilCancel(Now.AddSeconds(30), Now, TimeSpan.FromMilliseconds(750)));
    }

    [Fact]
    public void DelayUntilCancel_ShortInvocation_AtLeastHalfTheTimeLeft()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), DeadlineTimer.DelayUntilCancel(Now.AddSeconds(1), Now, TimeSpan.FromMilliseconds(750)));
    }

    [Fact]
    public void DelayUntilCancel_DeadlinePassed_Zero()
    {
        Assert.Equal(TimeSpan.Zero, DeadlineTimer.DelayUntilCancel(Now.AddSeconds(-1), Now, TimeSpan.FromMilliseconds(750)));
    }

    [Fact]
    public void Start_InjectedClock_TimerDueAtTheDeadlineLessTheMarginCancelsTheToken()
    {
        var clock = new ManualTimers(Now);

        using var source = DeadlineTimer.Start(Now.AddSeconds(30), clock, TimeSpan.FromMilliseconds(750));

        var timer = Assert.Single(clock.Timers);
        Assert.Equal(TimeSpan.FromMilliseconds(29_250), timer.DueTime);
        Assert.False(source.IsCancellationRequested);
        timer.Fire();
        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public async Task Start_SystemClock_TokenFires()
    {
        using var source = DeadlineTimer.Start(DateTimeOffset.UtcNow.AddMilliseconds(400), TimeProvider.System, TimeSpan.FromMilliseconds(150));

        // When it fires is the test above's (a loaded machine may run the callback late); here only that it does, bounded so a
        // token that never fires fails with a TimeoutException instead of hanging the run.
        await Task.Delay(Timeout.Infinite, source.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public void InvocationContext_Remaining_FollowsTheClock()
    {
        var clock = new Testing.FakeClock(Now);
        var context = new InvocationContext(new Invocation("r", Now.AddSeconds(10), null, null, ReadOnlyMemory<byte>.Empty), clock, CancellationToken.None);

        clock.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(TimeSpan.FromSeconds(6), context.Remaining);
    }

    /// <summary>A clock that stands still and runs its timers only when the test fires them.</summary>
    private sealed class ManualTimers(DateTimeOffset now) : TimeProvider
    {
        public List<ManualTimer> Timers { get; } = [];

        public override DateTimeOffset GetUtcNow() => now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(() => callback(state)) { DueTime = dueTime };
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class ManualTimer(Action fire) : ITimer
    {
        public TimeSpan DueTime { get; set; }

        public void Fire() => fire();

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
