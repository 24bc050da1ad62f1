using Azure;
using Azure.Data.Tables;
using Loyalty.Domain;
using Microsoft.Extensions.Caching.Memory;

namespace Loyalty.Adapters.Storage;

/// <summary>Settings of the member row cache (section <c>MemberCache</c>: <c>MemberCache__Enabled</c>, …).</summary>
public sealed class MemberCacheSettings
{
    public const string Section = "MemberCache";

    /// <summary>Off: every operation reads the member row first, as it did before the cache.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>At most this many member rows are kept (a row is a few kilobytes at most).</summary>
    public int Entries { get; set; } = 10_000;

    /// <summary>A row is kept this long after it was read or written: the seconds between a till's lookup and its purchase.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The member rows this instance read or wrote last, with their ETags, so that an operation right after a lookup
/// (a till finds the member, then records the purchase) decides on the row it has and commits in one round trip. Only
/// <see cref="MemberStore.RunAsync{T}"/> uses it, and only to commit under <c>If-Match</c> on the cached ETag: when
/// another instance wrote meanwhile the commit fails and the operation is decided again on a fresh read, so the cache can
/// make a commit faster but never changes an answer. Reads for callers always go to storage. Bounded in entries and in
/// time; every write of the member row this instance makes replaces or removes the entry.</summary>
public sealed class MemberCache : IDisposable
{
    private readonly MemoryCache? cache;
    private readonly MemoryCacheEntryOptions entry;

    public MemberCache(MemberCacheSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Entries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Lifetime, TimeSpan.Zero);
        cache = settings.Enabled ? new MemoryCache(new MemoryCacheOptions { SizeLimit = settings.Entries }) : null;
        entry = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = settings.Lifetime };
    }

    public bool Enabled => cache is not null;

    public StoredMember? Get(MemberId id) => cache?.Get<StoredMember>(id.Value);

    public void Set(StoredMember member) => cache?.Set(member.Id.Value, member, entry);

    public void Remove(MemberId id) => cache?.Remove(id.Value);

    /// <summary>Keeps the member row just written as a read of it would return it: <paramref name="row"/> is the entity the
    /// write sent, <paramref name="etag"/> the ETag the service answered.</summary>
    public void Written(TableEntity row, ETag? etag)
    {
        if (cache is null || etag is not { } tag)
        {
            return;
        }

        // The service keeps dates in UTC: what it gives back is the same instant with offset zero.
        var read = new TableEntity(row.PartitionKey, row.RowKey);
        foreach (var (name, value) in row)
        {
            read[name] = value is DateTimeOffset d ? d.ToUniversalTime() : value;
        }

        read.ETag = tag;
        Set(MemberRows.ToMember(read));
    }

    public void Dispose() => cache?.Dispose();
}
