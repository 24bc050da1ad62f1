using Azure.Data.Tables;
using Loyalty.Adapters.Storage;

namespace Loyalty.Functions.Hosting;

/// <summary>Creates the tables the app needs, retrying until storage answers, without holding up start-up
/// (the Functions host gives the handler about 30 seconds to answer its first probe). In Azure the
/// deployment creates them; this matters for Azurite and new accounts.</summary>
public sealed partial class StorageSetup(TableServiceClient tables, ILogger<StorageSetup> logger) : BackgroundService
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every table exists.</summary>
    public Task Ready => ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await Tables.CreateAllAsync(tables, stoppingToken);
                ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotReady(logger, attempt, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage is not ready (attempt {Attempt}, {Error}); retrying")]
    private static partial void LogNotReady(ILogger logger, int attempt, string error);
}
