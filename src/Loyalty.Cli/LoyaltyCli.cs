using System.CommandLine;
using System.CommandLine.Parsing;
using Azure;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Loyalty.Cli.Import;
using Loyalty.Cli.Purchases;
using Loyalty.Cli.Queues;
using Loyalty.Cli.ServiceBus;

namespace Loyalty.Cli;

/// <summary>Exit codes of every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The work failed: storage or Service Bus refused or could not be reached, or what was asked for is not there.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong (unknown option, missing or malformed value, bad input file); for
    /// <c>import</c>, some rows were rejected and the others imported.</summary>
    public const int Usage = 2;
}

/// <summary>The <c>loyalty</c> command line: one <see cref="Command"/> tree, each command group in its own folder, so
/// that a new command (such as <c>import</c>) is one more <c>root.Subcommands.Add</c>.</summary>
public static class LoyaltyCli
{
    public const string Name = "loyalty";

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("""
            Operations for Loyalty Functions: import members from another system, publish purchases to a queue, and look at
            and replay what ended in a poison or dead-letter queue. Storage comes from AzureWebJobsStorage (default: Azurite on its standard ports), Service
            Bus from ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace, as the app reads them.
            """);
        root.Subcommands.Add(PurchaseCommands.Create(context));
        root.Subcommands.Add(PurchaseCommands.CreateEnqueueAlias(context));
        root.Subcommands.Add(PoisonCommands.Create(context));
        root.Subcommands.Add(DeadLetterCommands.Create(context));
        root.Subcommands.Add(ImportCommand.Create(context));
        return root;
    }

    /// <summary>Parses and runs one command line; returns the exit code (<see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context, CancellationToken ct = default)
    {
        var result = Build(context).Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await context.Error.WriteLineAsync(error.Message);
            }

            await context.Error.WriteLineAsync($"Run '{CommandPath(result.CommandResult)} --help' for usage.");
            return ExitCodes.Usage;
        }

        // The caller owns Ctrl+C (it cancels ct), so the library installs no signal handlers of its own.
        return await result.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, ProcessTerminationTimeout = null }, ct);
    }

    /// <summary>Sets a command's action, turning the failures of the services it talks to into one line on stderr and
    /// exit code 1 (bugs still surface with their stack trace).</summary>
    internal static void SetAction(this Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            try
            {
                return await action(result, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await context.Error.WriteLineAsync("Cancelled.");
                return ExitCodes.Failure;
            }
            catch (Exception e) when (Describe(e) is { } reason)
            {
                await context.Error.WriteLineAsync($"{CommandPath(result.CommandResult)}: {reason}");
                return ExitCodes.Failure;
            }
        });

    /// <summary>"1 message", "2 messages".</summary>
    internal static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static string? Describe(Exception e) => e switch
    {
        RequestFailedException { Status: 0 } => "storage cannot be reached. Is it running (bash eng/run.sh starts Azurite)?",
        RequestFailedException r => $"storage answered {r.Status} {r.ErrorCode}.",
        ServiceBusException s => $"Service Bus: {s.Reason} ({s.Message.Split('\n')[0].Trim()})",
        AuthenticationFailedException or CredentialUnavailableException =>
            "cannot sign in to Azure (az login, or a managed identity); the identity needs a data role on the namespace.",
        UnauthorizedAccessException u => $"access denied: {u.Message.Split('\n')[0].Trim()}",
        InvalidOperationException i => i.Message,
        HttpRequestException or AggregateException => "storage cannot be reached. Is it running (bash eng/run.sh starts Azurite)?",
        IOException io => io.Message,
        _ => null,
    };

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is CommandResult c; r = c.Parent)
        {
            names.Add(c.Command is RootCommand ? Name : c.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
