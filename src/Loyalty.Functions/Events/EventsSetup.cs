using Azure.Storage.Queues;
using Loyalty.Adapters.Events;
using Loyalty.Domain.Program;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Events;

/// <summary>Events out: the outbox the store writes, the sink the settings name, and the dispatcher that publishes right
/// after each commit (<see cref="EventDispatchService"/>); the <c>PublishEvents</c> timer sweeps what is left.</summary>
public static class EventsSetup
{
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<EventSettings>()
            .BindConfiguration(EventSettings.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventSettings>>(new EventSettingsValidator());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<EventSettings>>().Value);
        services.AddSingleton<EventOutbox>();
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EventSettings>();
            var source = settings.Source ?? EventDispatcher.SourceFor(sp.GetRequiredService<ProgramDefinition>().Name);
            return new EventDispatcher(
                sp.GetRequiredService<EventOutbox>(),
                EventSink.Create(settings, sp.GetRequiredService<QueueServiceClient>()),
                settings,
                source,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<EventDispatcher>>());
        });
        services.AddHostedService<EventDispatchService>();
        return services;
    }

    private sealed class EventSettingsValidator : IValidateOptions<EventSettings>
    {
        public ValidateOptionsResult Validate(string? name, EventSettings options) =>
            options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}

/// <summary>Runs the dispatcher for the life of the app, and says at start-up where events go.</summary>
public sealed partial class EventDispatchService(EventDispatcher dispatcher, ILogger<EventDispatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!dispatcher.Enabled)
        {
            LogNoSink(logger);
            return;
        }

        LogSink(logger, dispatcher.Description);
        try
        {
            await dispatcher.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Events: publishing to {Sink} right after each commit; the PublishEvents timer sweeps what is left")]
    private static partial void LogSink(ILogger logger, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events: no publisher is configured (Events__TopicEndpoint or Events__Queue), so events stay in the outbox until one is")]
    private static partial void LogNoSink(ILogger logger);
}
