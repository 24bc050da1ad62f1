using Loyalty.Cli;
using Microsoft.Extensions.Configuration;

var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return args is [EnqueuePurchaseCommand.Name, .. var rest]
    ? await EnqueuePurchaseCommand.RunAsync(rest, configuration, TimeProvider.System, Console.Out, Console.Error, cancel.Token)
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("Usage: loyalty <command> [options]");
    Console.Error.WriteLine();
    Console.Error.WriteLine("Commands:");
    Console.Error.WriteLine($"  {EnqueuePurchaseCommand.Name}   put a purchase on the purchases Storage queue ({EnqueuePurchaseCommand.Name} --help)");
    return 2;
}
