using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Adapters.Messaging;

/// <summary>Creates a <see cref="ServiceBusClient"/> from a Service Bus connection setting read the way the Functions
/// host reads a trigger's <c>connection</c>: the setting itself holds a connection string
/// (<c>Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…</c>), or its identity-based form names the namespace
/// (<c>ServiceBusConnection__fullyQualifiedNamespace</c>, with <c>__clientId</c> for a user-assigned identity) and
/// signs in with <see cref="DefaultAzureCredential"/> (the app's managed identity in Azure, <c>az login</c> on a
/// laptop).</summary>
public static class ServiceBusConnection
{
    /// <summary>The setting the app's <c>RecordPurchaseFromServiceBus</c> trigger names.</summary>
    public const string SettingName = "ServiceBusConnection";

    /// <summary>The Service Bus queue that order systems send purchases to.</summary>
    public const string PurchasesQueue = "purchases";

    /// <summary>Whether the setting is there, in either form.</summary>
    public static bool IsConfigured(IConfiguration configuration, string settingName = SettingName)
    {
        var section = configuration.GetSection(settingName);
        return !string.IsNullOrWhiteSpace(section.Value) || !string.IsNullOrWhiteSpace(section["fullyQualifiedNamespace"]);
    }

    /// <summary>A client for the namespace the setting names, or an explanation of what is missing.</summary>
    public static ServiceBusClient CreateClient(IConfiguration configuration, string settingName = SettingName, ServiceBusClientOptions? options = null)
    {
        options ??= new ServiceBusClientOptions();
        var section = configuration.GetSection(settingName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new ServiceBusClient(section.Value, options);
        }

        if (section["fullyQualifiedNamespace"] is { Length: > 0 } ns)
        {
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = section["clientId"] });
            return new ServiceBusClient(ns, credential, options);
        }

        throw new InvalidOperationException(
            $"Service Bus is not configured: set {settingName} to a connection string, or {settingName}__fullyQualifiedNamespace " +
            "(e.g. my-namespace.servicebus.windows.net) to sign in with your Azure identity.");
    }
}
