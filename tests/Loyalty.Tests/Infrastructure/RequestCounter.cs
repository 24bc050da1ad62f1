using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Counts every HTTP request (each retry too) that the app's Table and Queue clients send to storage: an
/// Azure.Core pipeline policy added by <see cref="AddTo"/>.</summary>
public sealed class RequestCounter : HttpPipelinePolicy
{
    private int count;

    public int Count => Volatile.Read(ref count);

    public void Reset() => Interlocked.Exchange(ref count, 0);

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

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref count);
        return ProcessNextAsync(message, pipeline);
    }
}
