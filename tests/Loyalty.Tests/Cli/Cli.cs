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

    public static Task<CliRun> RunAsync(string storage, ServiceBusClient? serviceBus, params string[] args) =>
        RunAsync(storage, serviceBus, new CliOptions(), args);

    /// <summary>Runs a command line with the settings the app's tests use (the phone key, a program file) on
    /// <paramref name="options"/>' clock, cancelled by its token.</summary>
    public static async Task<CliRun> RunAsync(string storage, ServiceBusClient? serviceBus, CliOptions options, params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [StorageAccount.SettingName] = storage,
                [PhoneKeys.CurrentSetting] = TestKeys.PhoneSecret,
                ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", options.ProgramFile),
            })
            .AddInMemoryCollection(options.Settings ?? new Dictionary<string, string?>())
            .Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(configuration, options.Time ?? TimeProvider.System, TextWriter.Synchronized(output), TextWriter.Synchronized(error))
        {
            ServiceBus = () => serviceBus ?? throw new InvalidOperationException("Service Bus is not configured in this test."),
            TablePolicy = options.Requests,
        };
        var exit = await LoyaltyCli.RunAsync(args, context, options.Cancel);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

}

/// <param name="ProgramFile">A program under Fixtures/.</param>
/// <param name="Requests">Counts the storage requests of the import.</param>
public sealed record CliOptions(
    string ProgramFile = "program.plain.json",
    TimeProvider? Time = null,
    CancellationToken Cancel = default,
    IReadOnlyDictionary<string, string?>? Settings = null,
    RequestCounter? Requests = null);

public sealed record CliRun(int Exit, string Out, string Error)
{
    public override string ToString() => $"exit {Exit}\nstdout:\n{Out}\nstderr:\n{Error}";
}
