namespace Loyalty.Adapters.Storage;

/// <summary>Makes callers in this process that work on the same key take turns, so that they do not race each other
/// for an ETag (writers in other instances still meet the ETag check). Striped, so that there is nothing to clean up;
/// two keys may share a stripe and then simply wait for each other.</summary>
public sealed class KeyedTurns(int stripes = 64)
{
    private readonly SemaphoreSlim[] locks = [.. Enumerable.Range(0, stripes).Select(_ => new SemaphoreSlim(1, 1))];

    public async Task<IDisposable> TakeAsync(string key, CancellationToken ct)
    {
        var stripe = locks[unchecked((uint)StringComparer.Ordinal.GetHashCode(key)) % locks.Length];
        await stripe.WaitAsync(ct);
        return new Turn(stripe);
    }

    private sealed class Turn(SemaphoreSlim stripe) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
