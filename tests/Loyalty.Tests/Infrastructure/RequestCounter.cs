using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Counts every HTTP request (each retry too) that the app's Table and Queue clients send to storage, and the
/// round trips they made (a round trip starts when a request is sent while none is in flight): an Azure.Core pipeline
/// policy added by <see cref="AddTo"/>.</summary>
public sealed class RequestCounter : HttpPipelinePolicy
{
    private readonly SemaphoreSlim joined = new(0);
    private int count;
    private int inFlight;
    private int rounds;

    public int Count => Volatile.Read(ref count);

    public int RoundTrips => Volatile.Read(ref rounds);

    /// <summary>Which requests, sent while no other is in flight, wait up to 5 s for another to be sent, so that requests
    /// that are sent together are counted as one round trip however the threads are scheduled. None when null.</summary>
    public Func<HttpMessage, bool>? WaitsForCompany { get; set; }

    /// <summary>Reads (GET) wait for company: a read and a write sent together.</summary>
    public static bool IsRead(HttpMessage message) => message.Request.Method == RequestMethod.Get;

    /// <summary>Everything but a table transaction waits for company: a transaction is sent alone, after what it needs.</summary>
    public static bool IsNotTransaction(HttpMessage message) => !message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal);

    public void Reset()
    {
        Interlocked.Exchange(ref count, 0);
        Interlocked.Exchange(ref rounds, 0);
        while (joined.Wait(0))
        {
        }
    }

    /// <summary>Gives the app's services Table and Queue clients that count their requests here.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var options = StorageAccount.DefaultTableOptions();
            options.AddPolicy(this, HttpPipelinePosition.PerRetry);
            return sp.GetRequiredService<StorageAccount>().CreateTableServiceClient(options);
        }));
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            options.AddPolicy(this, HttpPipelinePosition.PerRetry);
            return sp.GetRequiredService<StorageAccount>().CreateQueueServiceClient(options);
        }));
    }

    /// <summary>How many requests <paramref name="action"/> made.</summary>
    public async Task<int> CountAsync(Func<Task> action)
    {
        Reset();
        await action();
        return Count;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref count);
        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref count);
        var alone = Interlocked.Increment(ref inFlight) == 1;
        if (alone)
        {
            Interlocked.Increment(ref rounds);
        }
        else
        {
            joined.Release();
        }

        try
        {
            if (alone && WaitsForCompany?.Invoke(message) == true)
            {
                await joined.WaitAsync(TimeSpan.FromSeconds(5));
            }

            await ProcessNextAsync(message, pipeline);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }
}
