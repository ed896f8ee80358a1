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
    public async Task Start_RealClock_TokenFiresBeforeTheDeadline()
    {
        var deadline = DateTimeOffset.UtcNow.AddMilliseconds(400);

        using var source = DeadlineTimer.Start(deadline, TimeProvider.System, TimeSpan.FromMilliseconds(150));
        // Bounded: a token that never fires fails the test with a TimeoutException instead of hanging the run.
        await Task.Delay(Timeout.Infinite, source.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.True(source.IsCancellationRequested);
        Assert.True(DateTimeOffset.UtcNow < deadline, "the token must fire before the deadline, leaving the margin to reply");
    }

    [Fact]
    public void InvocationContext_Remaining_FollowsTheClock()
    {
        var clock = new Testing.FakeClock(Now);
        var context = new InvocationContext(new Invocation("r", Now.AddSeconds(10), null, null, ReadOnlyMemory<byte>.Empty), clock, CancellationToken.None);

        clock.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(TimeSpan.FromSeconds(6), context.Remaining);
    }
}
