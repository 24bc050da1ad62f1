using Azure.Data.Tables;

namespace Loyalty.Adapters.Storage;

/// <summary>Rows of one partition written together: a batch transaction holds at most <see cref="MaxActions"/> rows.</summary>
internal static class Batches
{
    public const int MaxActions = 100;

    /// <summary>Upserts (replaces) <paramref name="rows"/>, all of one partition, in as few batch transactions as they fit.</summary>
    public static async Task UpsertAsync(TableClient table, IEnumerable<TableEntity> rows, CancellationToken ct)
    {
        foreach (var chunk in rows.Chunk(MaxActions))
        {
            await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct);
        }
    }
}
