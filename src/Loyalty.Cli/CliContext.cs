using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using Loyalty.Adapters.Messaging;
using Loyalty.Adapters.Storage;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Cli;

/// <summary>What every command gets: the settings, the clock, where to write, and how to reach Storage and Service
/// Bus with the app's own settings.</summary>
public sealed class CliContext(IConfiguration configuration, TimeProvider time, TextWriter output, TextWriter error)
{
    /// <summary>Used when <c>AzureWebJobsStorage</c> is not set: Azurite on its standard ports, as <c>eng/run.sh</c> starts it.</summary>
    public const string LocalStorage = "UseDevelopmentStorage=true";

    public IConfiguration Configuration => configuration;

    public TimeProvider Time => time;

    public TextWriter Out => output;

    public TextWriter Error => error;

    /// <summary>Whether the output is a terminal a person watches (a progress bar), rather than a pipe or a file (plain lines).</summary>
    public bool Interactive { get; init; }

    /// <summary>Opens the Service Bus namespace of <c>ServiceBusConnection</c>. The tests put a namespace of their own
    /// here (the SDK's types subclassed, as no emulator can run here).</summary>
    public Func<ServiceBusClient> ServiceBus { get; init; } = () => ServiceBusConnection.CreateClient(configuration);

    /// <summary>A policy added to the import's Table clients (the tests count storage requests with it).</summary>
    public Azure.Core.Pipeline.HttpPipelinePolicy? TablePolicy { get; init; }

    /// <summary>Queue clients of the storage account, with <paramref name="encoding"/> (the queue trigger's is base64).
    /// Two quick retries: a person at a terminal learns at once that storage is not there, instead of after the SDK's
    /// half-minute of back-off.</summary>
    public QueueServiceClient Queues(QueueMessageEncoding encoding = QueueMessageEncoding.Base64)
    {
        var options = new QueueClientOptions { MessageEncoding = encoding };
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        return Storage().CreateQueueServiceClient(options);
    }

    /// <summary>The storage account of <c>AzureWebJobsStorage</c>, in either of the forms the app reads.</summary>
    public StorageAccount Storage() =>
        configuration[StorageAccount.SettingName] is { Length: > 0 } || configuration.GetSection(StorageAccount.SettingName).GetChildren().Any()
            ? StorageAccount.FromConfiguration(configuration)
            : StorageAccount.FromConnectionString(LocalStorage);
}
