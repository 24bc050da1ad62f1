using Microsoft.Extensions.Configuration;

namespace Loyalty.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Settings come from the environment, as the app reads them (AzureWebJobsStorage, ServiceBusConnection, ...).
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        return await LoyaltyCli.RunAsync(args, new CliContext(configuration, TimeProvider.System, Console.Out, Console.Error) { Interactive = !Console.IsOutputRedirected },
            cancel.Token);
    }
}
