using Loyalty.Adapters.Storage;

namespace Loyalty.Tests.Storage;

/// <summary>Per-member turns: callers on one key go one at a time, callers on different keys never wait for each other.</summary>
public sealed class KeyedTurnsTests
{
    [Fact]
    public async Task TakeAsync_SameKey_WaitsForTheTurnToBeGiven_OtherKeysDoNot()
    {
        var turns = new KeyedTurns();
        var first = await turns.TakeAsync("member-1", CancellationToken.None);
        var same = turns.TakeAsync("member-1", CancellationToken.None);

        // Far more keys than a striped lock had stripes: none of them waits for member-1.
        var others = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => turns.TakeAsync($"member-other-{i}", CancellationToken.None)));
        Assert.False(same.IsCompleted);

        first.Dispose();
        first.Dispose(); // a second dispose gives nothing away
        var second = await same.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var third = turns.TakeAsync("member-1", CancellationToken.None);
        Assert.False(third.IsCompleted);
        foreach (var other in others)
        {
            other.Dispose();
        }

        second.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Dispose();
    }

    [Fact]
    public async Task TakeAsync_Cancelled_WhileWaiting_LeavesTheTurnUsable()
    {
        var turns = new KeyedTurns();
        var held = await turns.TakeAsync("member-1", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = turns.TakeAsync("member-1", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        (await turns.TakeAsync("member-1", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Dispose();
    }
}
