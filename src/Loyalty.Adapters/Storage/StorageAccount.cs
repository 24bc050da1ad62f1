using System.Diagnostics.CodeAnalysis;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Adapters.Storage;

/// <summary>Creates Table and Queue clients from the Functions <c>AzureWebJobsStorage</c> setting, either as a
/// connection string (Azurite, or a key) or in the identity-based form the Functions host reads
/// (<c>AzureWebJobsStorage__accountName</c>, or <c>__tableServiceUri</c> and <c>__queueServiceUri</c>), which
/// authenticates with <see cref="DefaultAzureCredential"/> (the app's managed identity in Azure).</summary>
public sealed class StorageAccount
{
    public const string SettingName = "AzureWebJobsStorage";

    private readonly string? connectionString;
    private readonly Uri? tableUri;
    private readonly Uri? queueUri;
    private readonly TokenCredential? credential;

    private StorageAccount(string? connectionString, Uri? tableUri, Uri? queueUri, TokenCredential? credential) =>
        (this.connectionString, this.tableUri, this.queueUri, this.credential) = (connectionString, tableUri, queueUri, credential);

    /// <summary>Reads the setting (by default <c>AzureWebJobsStorage</c>; a trigger's <c>connection</c> may name
    /// another one of the same form), or explains what is missing.</summary>
    public static StorageAccount FromConfiguration(IConfiguration configuration, string settingName = SettingName)
    {
        var section = configuration.GetSection(settingName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new StorageAccount(section.Value, null, null, null);
        }

        var account = section["accountName"];
        var tables = section["tableServiceUri"] ?? (account is null ? null : $"https://{account}.table.core.windows.net");
        var queues = section["queueServiceUri"] ?? (account is null ? null : $"https://{account}.queue.core.windows.net");
        if (tables is null || queues is null)
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set {settingName} to a connection string (UseDevelopmentStorage=true for Azurite), " +
                $"or {settingName}__accountName for an identity-based connection.");
        }

        // __clientId selects a user-assigned identity, as it does for the Functions host.
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = section["clientId"] });
        return new StorageAccount(null, new Uri(tables), new Uri(queues), credential);
    }

    public static StorageAccount FromConnectionString(string connectionString) => new(connectionString, null, null, null);

    // The SDK makes each entity it reads with Activator.CreateInstance<TableEntity>(), which the native handler's trimming
    // does not see: the constructor is kept here.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(TableEntity))]
    public TableServiceClient CreateTableServiceClient(TableClientOptions? options = null)
    {
        options ??= DefaultTableOptions();
        return connectionString is not null
            ? new TableServiceClient(connectionString, options)
            : new TableServiceClient(tableUri!, credential!, options);
    }

    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions? options = null)
    {
        // The Functions queue trigger reads and writes base64 by default (host.json messageEncoding).
        options ??= new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return connectionString is not null
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(queueUri!, credential!, options);
    }

    /// <summary>Short retries: callers answer a storage outage with 503 and let their client retry, rather than
    /// holding a request for the SDK's default 4 attempts with long back-off.</summary>
    public static TableClientOptions DefaultTableOptions()
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }
}
