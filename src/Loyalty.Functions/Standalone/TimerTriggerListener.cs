namespace Loyalty.Functions.Standalone;

/// <summary>Runs one <c>timerTrigger</c> function on its schedule, as the Functions host does: once at start when
/// <c>runOnStartup</c> is set, then at every occurrence. Runs take turns with each other and with runs started from
/// the admin endpoint (<paramref name="turn"/>), so one timer never runs twice at once; occurrences missed while a
/// run overran are not made up, the next run is marked past due instead.</summary>
internal sealed partial class TimerTriggerListener(
    FunctionDefinition function, TimerSchedule schedule, SemaphoreSlim turn, FunctionInvoker invoker, TimeProvider time, ILogger logger)
{
    // Task.Delay takes at most about 49 days; longer waits are made of several.
    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(1);

    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        if (function.Flag("runOnStartup"))
        {
            await TickAsync(isPastDue: false, stopping, abort);
        }

        while (!stopping.IsCancellationRequested)
        {
            var next = schedule.Next(time.GetUtcNow(), time.LocalTimeZone);
            LogNext(logger, function.Name, next);
            if (!await WaitUntilAsync(next, stopping))
            {
                return;
            }

            await TickAsync(schedule.Next(next, time.LocalTimeZone) <= time.GetUtcNow(), stopping, abort);
        }
    }

    private async Task TickAsync(bool isPastDue, CancellationToken stopping, CancellationToken abort)
    {
        try
        {
            await turn.WaitAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }

        try
        {
            using var activity = TriggerTracing.Start(function.Name, TriggerTracing.Timer);
            activity.Ended(await invoker.InvokeAsync(function.Name, HostPayloads.Timer(function.Name, function.BindingName, isPastDue, time.GetUtcNow()), abort));
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task<bool> WaitUntilAsync(DateTimeOffset when, CancellationToken stopping)
    {
        try
        {
            for (var left = when - time.GetUtcNow(); left > TimeSpan.Zero; left = when - time.GetUtcNow())
            {
                await Task.Delay(left < LongestDelay ? left : LongestDelay, time, stopping);
            }

            return true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Function}: next run at {Next}")]
    private static partial void LogNext(ILogger logger, string function, DateTimeOffset next);
}
