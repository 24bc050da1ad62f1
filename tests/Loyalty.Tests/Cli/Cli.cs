using Azure.Messaging.ServiceBus;
using Loyalty.Adapters.Storage;
using Loyalty.Cli;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Tests.Cli;

/// <summary>Runs the <c>loyalty</c> command line in-process, as the executable does, against a test's Azurite and
/// (for the Service Bus commands) a <see cref="Standalone.FakeServiceBus"/>.</summary>
public static class Cli
{
    public static Task<CliRun> RunAsync(Azurite azurite, ServiceBusClient? serviceBus, params string[] args) =>
        RunAsync(azurite.ConnectionString, serviceBus, args);

    public static Task<CliRun> RunAsync(Azurite azurite, params string[] args) => RunAsync(azurite.ConnectionString, null, args);

    public static async Task<CliRun> RunAsync(string storage, ServiceBusClient? serviceBus, params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageAccount.SettingName] = storage })
            .Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(configuration, TimeProvider.System, output, error)
        {
            ServiceBus = () => serviceBus ?? throw new InvalidOperationException("Service Bus is not configured in this test."),
        };
        var exit = await LoyaltyCli.RunAsync(args, context);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

}

public sealed record CliRun(int Exit, string Out, string Error)
{
    public override string ToString() => $"exit {Exit}\nstdout:\n{Out}\nstderr:\n{Error}";
}
