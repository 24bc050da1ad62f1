using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Standalone;

/// <summary>Settings of the standalone trigger runner (section <c>TriggerRunner</c>, e.g.
/// <c>TriggerRunner__Enabled=false</c>).</summary>
public sealed class TriggerRunnerOptions
{
    public const string Section = "TriggerRunner";

    /// <summary>Whether standalone mode runs the queue and timer triggers. Under the Functions host it never does.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The Functions app folder (host.json and the function folders); by default the app's own folder.</summary>
    public string? AppRoot { get; set; }

    /// <summary>How long invocations in flight at shutdown may take to finish before they are abandoned and their
    /// messages made visible again. Keep it below the host's shutdown timeout (30 s by default).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>The standalone trigger runner (design decision 1): when no Functions host runs the handler, it reads the
/// app's function.json files and runs their Storage queue and timer triggers itself, turning messages and ticks into
/// the protocol calls the host would make. It also runs any non-HTTP function on demand for the admin endpoint.</summary>
public sealed partial class TriggerRunner(
    FunctionCatalog catalog,
    FunctionInvoker invoker,
    StorageAccount storage,
    ServiceBusClients serviceBus,
    IConfiguration configuration,
    IOptions<TriggerRunnerOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger logger = loggers.CreateLogger<TriggerRunner>();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> turns = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Task, bool> manualRuns = new();

    /// <summary>Runs a non-HTTP function now, in the background, with <paramref name="input"/> as its trigger value
    /// (a queue message's text; ignored for timers), as the Functions host's <c>POST /admin/functions/{name}</c> does.</summary>
    public void RunNow(FunctionDefinition function, string? input)
    {
        var now = time.GetUtcNow();
        var body = function switch
        {
            _ when function.Is(FunctionDefinition.QueueTrigger) =>
                HostPayloads.Queue(function.Name, function.BindingName, new QueueMessageInfo(Guid.NewGuid().ToString(), "", input ?? "", 1, now, null, null), now),
            _ when function.Is(FunctionDefinition.ServiceBusTrigger) =>
                HostPayloads.ServiceBus(function.Name, function.BindingName, input ?? "", Guid.NewGuid().ToString("N"), now),
            _ when function.Is(FunctionDefinition.TimerTrigger) => HostPayloads.Timer(function.Name, function.BindingName, isPastDue: false, now),
            _ => HostPayloads.Other(function.Name, function.BindingName, input ?? "", now),
        };
        LogManualRun(logger, function.Name);
        var run = RunManuallyAsync(function, body, System.Diagnostics.Activity.Current?.Context);
        manualRuns.TryAdd(run, true);
        _ = run.ContinueWith(t => manualRuns.TryRemove(t, out _), TaskScheduler.Default);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await Task.WhenAll(manualRuns.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout is up; a queue message run by hand has no message to lose.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (HandlerUrls.UnderFunctionsHost(configuration))
        {
            return;
        }

        if (!options.Value.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        // The runner calls the app over HTTP, so it waits for the server to listen.
        if (!await StartedAsync(stoppingToken))
        {
            return;
        }

        // Stop taking new work as soon as shutdown begins (the server stops next); let the work in flight finish
        // for a while, then abandon it.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        using var abort = new CancellationTokenSource();
        using var drain = stopping.Token.Register(() => abort.CancelAfter(options.Value.DrainTimeout));

        var runs = new List<Task>();
        foreach (var function in catalog.Functions)
        {
            if (Listen(function, stopping.Token, abort.Token) is { } run)
            {
                runs.Add(run);
            }
        }

        LogStarted(logger, runs.Count, catalog.AppRoot);
        await Task.WhenAll(runs);
    }

    private Task? Listen(FunctionDefinition function, CancellationToken stopping, CancellationToken abort)
    {
        if (function.Is(FunctionDefinition.HttpTrigger))
        {
            return null;
        }

        if (function.IsDisabled(configuration))
        {
            LogSkipped(logger, function.Name, "disabled by AzureWebJobs.<name>.Disabled");
            return null;
        }

        var functionLogger = loggers.CreateLogger($"{typeof(TriggerRunner).FullName}.{function.Name}");
        if (function.Is(FunctionDefinition.QueueTrigger))
        {
            if (!TryResolve(function, "queueName", out var queueName) || !TryStorage(function, out var account))
            {
                return null;
            }

            var listener = new QueueTriggerListener(function, queueName.ToLowerInvariant(), account, catalog.Host, invoker, time, functionLogger);
            LogListening(logger, function.Name, "queue", listener.QueueName);
            return Task.Run(() => listener.RunAsync(stopping, abort), CancellationToken.None);
        }

        if (function.Is(FunctionDefinition.TimerTrigger))
        {
            if (!TryResolve(function, "schedule", out var expression))
            {
                return null;
            }

            if (!TimerSchedule.TryParse(expression, out var schedule))
            {
                LogInvalid(logger, function.Name, "schedule", "not a six-field NCRONTAB expression or a time span");
                return null;
            }

            var listener = new TimerTriggerListener(function, schedule, Turn(function), invoker, time, functionLogger);
            LogListening(logger, function.Name, "schedule", schedule.Expression);
            return Task.Run(() => listener.RunAsync(stopping, abort), CancellationToken.None);
        }

        // Against a real namespace when the trigger's connection is set; without it (no emulator can run here) the
        // Storage-queue twin serves local runs (design decision 2).
        if (function.Is(FunctionDefinition.ServiceBusTrigger) && function.Setting("connection") is { Length: > 0 } connection
            && serviceBus.For(connection) is { } client)
        {
            if (!TryResolve(function, "queueName", out var queueName))
            {
                return null;
            }

            var listener = new ServiceBusTriggerListener(function, queueName, client, ServiceBusSettings.Read(catalog.AppRoot), invoker, time, functionLogger);
            LogListening(logger, function.Name, "Service Bus queue", listener.QueueName);
            return Task.Run(() => listener.RunAsync(stopping, abort), CancellationToken.None);
        }

        LogSkipped(logger, function.Name, $"{function.TriggerType} is not run standalone without its connection setting; POST /admin/functions/{function.Name} runs it");
        return null;
    }

    private async Task RunManuallyAsync(FunctionDefinition function, JsonObject body, System.Diagnostics.ActivityContext? requestedBy)
    {
        await Task.Yield();
        using var activity = TriggerTracing.Start(function.Name, TriggerTracing.AdminRun, link: requestedBy);
        if (function.Is(FunctionDefinition.TimerTrigger))
        {
            var turn = Turn(function);
            await turn.WaitAsync();
            try
            {
                activity.Ended(await invoker.InvokeAsync(function.Name, body, CancellationToken.None));
            }
            finally
            {
                turn.Release();
            }
        }
        else
        {
            activity.Ended(await invoker.InvokeAsync(function.Name, body, CancellationToken.None));
        }
    }

    private SemaphoreSlim Turn(FunctionDefinition function) => turns.GetOrAdd(function.Name, _ => new SemaphoreSlim(1, 1));

    // "%Name%" in a binding property is the app setting Name, as in the Functions host.
    private bool TryResolve(FunctionDefinition function, string property, out string value)
    {
        value = function.Setting(property) ?? "";
        if (value.Length == 0)
        {
            LogInvalid(logger, function.Name, property, "missing");
            return false;
        }

        if (value.Length > 2 && value[0] == '%' && value[^1] == '%')
        {
            var setting = value[1..^1];
            if (configuration[setting] is not { Length: > 0 } resolved)
            {
                LogInvalid(logger, function.Name, property, $"the app setting {setting} is not set");
                return false;
            }

            value = resolved;
        }

        return true;
    }

    private bool TryStorage(FunctionDefinition function, out StorageAccount account)
    {
        var connection = function.Setting("connection") is { Length: > 0 } c ? c : StorageAccount.SettingName;
        try
        {
            account = connection == StorageAccount.SettingName ? storage : StorageAccount.FromConfiguration(configuration, connection);
            return true;
        }
        catch (InvalidOperationException)
        {
            LogInvalid(logger, function.Name, "connection", $"the storage setting {connection} is not set");
            account = null!;
            return false;
        }
    }

    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled());
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trigger runner is off (TriggerRunner:Enabled is false)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trigger runner runs {Count} triggers from {AppRoot}")]
    private static partial void LogStarted(ILogger logger, int count, string appRoot);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: listening on {Kind} {Source}")]
    private static partial void LogListening(ILogger logger, string function, string kind, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: not run ({Reason})")]
    private static partial void LogSkipped(ILogger logger, string function, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: not run, its {Property} is invalid: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string function, string property, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: run requested through the admin endpoint")]
    private static partial void LogManualRun(ILogger logger, string function);
}
