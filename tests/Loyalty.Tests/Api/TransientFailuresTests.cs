using Azure;
using Loyalty.Functions.Http;

namespace Loyalty.Tests.Api;

/// <summary>Which failures are storage being unavailable or too slow (503 with Retry-After, nothing written) rather than
/// a bug (500): the shapes the Table SDK really throws.</summary>
public sealed class TransientFailuresTests
{
    [Fact]
    public void StorageTimingOutOnEveryRetry_IsTransient()
    {
        // What the SDK throws when each try exceeds its network timeout (seen under the queue-drain benchmark).
        var timeout = new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout of 0:00:10.");
        var failed = new AggregateException("Retry failed after 3 tries.", timeout, timeout, timeout);

        Assert.True(TransientFailures.IsTransient(failed));
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(429, true)]
    [InlineData(0, true)]
    [InlineData(400, false)]
    [InlineData(409, false)]
    public void RequestFailed_IsTransientByItsStatus(int status, bool transient) =>
        Assert.Equal(transient, TransientFailures.IsTransient(new RequestFailedException(status, "storage said so")));

    [Fact]
    public void AnythingElse_IsNotTransient() =>
        Assert.False(TransientFailures.IsTransient(new AggregateException(new TaskCanceledException(), new InvalidOperationException())));
}
