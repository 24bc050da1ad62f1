using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Fails the next table transaction once <see cref="Armed"/>: before it reaches storage (a 503, as storage
/// refusing it), or, with <paramref name="afterCommit"/>, after storage committed it (an instance that dies before it
/// hears the answer). Give the app a client built with <see cref="Options"/>.</summary>
public sealed class BatchFault(bool afterCommit = false) : HttpPipelinePolicy
{
    public bool Armed { get; set; }

    public TableClientOptions Options()
    {
        var options = StorageAccount.DefaultTableOptions();
        options.AddPolicy(this, HttpPipelinePosition.PerCall);
        return options;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var batch = message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal);
        if (!afterCommit && Armed && batch)
        {
            Armed = false;
            throw new RequestFailedException(503, "The storage failed this transaction (injected).");
        }

        await ProcessNextAsync(message, pipeline);
        if (afterCommit && Armed && batch && message.Response.Status == 202)
        {
            Armed = false;
            throw new HttpRequestException("The instance died after the commit.");
        }
    }
}
