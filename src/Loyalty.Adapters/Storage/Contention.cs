namespace Loyalty.Adapters.Storage;

/// <summary>The one read–decide–commit loop of the app. Callers in this process that work on the same key take turns
/// (<see cref="KeyedTurns"/>, so they do not race each other for an ETag; writers in other instances still meet the ETag
/// check), and an attempt that lost the race to another instance waits a random few milliseconds before reading again:
/// without the jitter, a loser can keep losing to an instance with a queue of writes for the same key.</summary>
/// <param name="maxDelayMilliseconds">The longest pause between attempts; a key shared by every member (a reward's
/// stock) wants longer pauses than one member's partition.</param>
public sealed class Contention(Random jitter, int maxDelayMilliseconds = 50, int maxAttempts = Contention.DefaultMaxAttempts)
{
    /// <summary>Far more attempts than a burst of another instance's writes to one key lasts.</summary>
    public const int DefaultMaxAttempts = 30;

    private readonly KeyedTurns turns = new();

    /// <summary>Runs <paramref name="attempt"/> in this key's turn until it is done, backing off between attempts that
    /// lost a race. Throws <see cref="ConcurrencyExhaustedException"/> (a transient failure) when every attempt lost.</summary>
    public async Task<T> RunAsync<T>(string key, Func<int, Task<Attempt<T>>> attempt, CancellationToken ct)
    {
        using var turn = await turns.TakeAsync(key, ct);
        for (var i = 1; i <= maxAttempts; i++)
        {
            var outcome = await attempt(i);
            if (outcome.IsDone)
            {
                return outcome.Value!;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(NextDelay(i)), ct);
        }

        throw new ConcurrencyExhaustedException(key, maxAttempts);
    }

    private int NextDelay(int attempt)
    {
        lock (jitter)
        {
            return jitter.Next(1, Math.Min(maxDelayMilliseconds, 5 * attempt) + 1);
        }
    }
}

/// <summary>Makes callers in this process that work on the same key take turns; callers on different keys never wait for
/// each other (a striped lock made unrelated members queue behind one another, which showed in the tail of the purchase
/// latency). A key's gate lives while someone holds or waits for it. A caller must never take a second turn of the same
/// key while holding one.</summary>
public sealed class KeyedTurns
{
    private readonly Dictionary<string, Gate> gates = new(StringComparer.Ordinal);

    public async Task<IDisposable> TakeAsync(string key, CancellationToken ct)
    {
        Gate? gate;
        lock (gates)
        {
            if (!gates.TryGetValue(key, out gate))
            {
                gates[key] = gate = new Gate();
            }

            gate.Users++;
        }

        try
        {
            await gate.Turn.WaitAsync(ct);
        }
        catch
        {
            Leave(key, gate);
            throw;
        }

        return new Turn(this, key, gate);
    }

    private void Leave(string key, Gate gate)
    {
        lock (gates)
        {
            if (--gate.Users == 0)
            {
                gates.Remove(key);
            }
        }
    }

    private sealed class Gate
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        /// <summary>Callers holding or waiting for the turn; changed under the lock of the gates.</summary>
        public int Users { get; set; }
    }

    private sealed class Turn(KeyedTurns owner, string key, Gate gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Turn.Release();
                owner.Leave(key, gate);
            }
        }
    }
}

/// <summary>What one attempt of a read–decide–commit loop came to: done with a value, or lost a race (try again).</summary>
public readonly record struct Attempt<T>(bool IsDone, T? Value)
{
    public static Attempt<T> Retry => default;

    public static Attempt<T> Done(T value) => new(true, value);

    public static implicit operator Attempt<T>(T value) => Done(value);
}

/// <summary>Thrown when a key stayed contended through every attempt: a transient failure, the caller retries later.</summary>
public sealed class ConcurrencyExhaustedException(string key, int attempts)
    : Exception($"{key} changed under {attempts} consecutive attempts.");
