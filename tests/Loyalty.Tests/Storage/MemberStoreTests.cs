using CsCheck;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Domain.Program;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Purchases;
using Loyalty.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Storage;

/// <summary>The member partition on a real Azurite: the ledger is the truth, replays change nothing, and
/// concurrent writers in different processes (different stores) lose no update.</summary>
public sealed class MemberStoreTests(Azurite azurite) : IAsyncLifetime
{
    private static readonly ProgramDefinition Program = new()
    {
        Name = "Test",
        Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new() },
    };

    private readonly FakeTimeProvider time = new(A.Now);

    public async ValueTask InitializeAsync()
    {
        var tables = azurite.Tables;
        foreach (var table in Tables.All)
        {
            await tables.CreateTableIfNotExistsAsync(table);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private MemberStore NewStore()
    {
        var tables = azurite.Tables;
        return MemberStore.Create(tables, Program, TestKeys.Phone, time);
    }

    private async Task<MemberId> Enroll(MemberStore store)
    {
        var id = MemberId.Parse(A.Id("m"));
        await store.SaveProfileAsync(id, new MemberProfile(), CancellationToken.None);
        return id;
    }

    private static Purchase APurchase(MemberId member, string purchaseId, decimal amount) => new(
        OperationId.Parse(purchaseId), member, new Money(amount, Currency.Parse("USD")), A.Now.AddHours(-1), null, []);

    private Task<OperationResult<PurchaseResult>> Record(MemberStore store, Purchase purchase) =>
        new PurchaseRecorder(store, Program, time, Metrics).RecordAsync(purchase, CancellationToken.None);

    private static readonly LoyaltyMetrics Metrics = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    // An operation: a new purchase, a replay of an earlier one, or an earlier id reused with another amount.
    private static readonly Gen<(int Kind, int Pick, int Amount)> Op = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 100], Gen.Int[1, 500]);

    [Fact]
    public async Task AnySequenceOfPurchasesReplaysAndConflicts_BalanceEqualsLedgerAndLots()
    {
        var store = NewStore();
        await Op.Array[1, 12].SampleAsync(async ops =>
        {
            var member = await Enroll(store);
            var recorded = new List<Purchase>();
            foreach (var (kind, pick, amount) in ops)
            {
                if (kind == 0 || recorded.Count == 0)
                {
                    var purchase = APurchase(member, A.Id("p"), amount);
                    Assert.Equal(OperationStatus.Created, (await Record(store, purchase)).Status);
                    recorded.Add(purchase);
                }
                else if (kind == 1)
                {
                    Assert.Equal(OperationStatus.Replayed, (await Record(store, recorded[pick % recorded.Count])).Status);
                }
                else
                {
                    var original = recorded[pick % recorded.Count];
                    var reused = original with { Amount = original.Amount with { Amount = original.Amount.Amount + 1 } };
                    Assert.Equal(OperationStatus.Conflict, (await Record(store, reused)).Status);
                }
            }

            var stored = (await store.GetAsync(member, CancellationToken.None))!;
            var (entries, _) = await store.GetLedgerAsync(member, 1000, null, CancellationToken.None);
            var expected = recorded.Sum(p => (long)p.Amount.Amount);
            Assert.Equal(expected, stored.Account.Balance.Value);
            Assert.Equal(expected, entries.Sum(e => e.Points.Value));
            Assert.Equal(expected, stored.Account.Lots.Sum(l => l.Remaining.Value));
            Assert.Equal(recorded.Count, entries.Count);
            Assert.Equal(recorded.Select(p => p.PurchaseId.Value).Order(), entries.Select(e => e.Reference).Order());
        }, iter: 40, threads: 1);
    }

    [Fact]
    public async Task ThreeInstancesWritingOneMember_LoseNoUpdateAndNoneStarves()
    {
        MemberStore[] stores = [NewStore(), NewStore(), NewStore()];
        var member = await Enroll(stores[0]);

        var results = await Task.WhenAll(Enumerable.Range(1, 45).Select(i =>
            Record(stores[i % 3], APurchase(member, $"{member.Value}-p{i}", i))));

        Assert.All(results, r => Assert.Equal(OperationStatus.Created, r.Status));
        var stored = (await stores[0].GetAsync(member, CancellationToken.None))!;
        Assert.Equal(Enumerable.Range(1, 45).Sum(), stored.Account.Balance.Value);
        Assert.Equal(45, stored.Account.LastSeq);
    }

    [Fact]
    public async Task Purchase_WritesIndexHintsForLastPurchaseAndLotExpiry()
    {
        var store = NewStore();
        var member = await Enroll(store);

        await Record(store, APurchase(member, A.Id("p"), 10));

        var tables = azurite.Tables;
        var day = MemberIndexes.DayKey(DateOnly.FromDateTime(A.Now.AddHours(-1).UtcDateTime));
        var expiry = MemberIndexes.DayKey(new DateOnly(2027, 11, 24));
        Assert.True((await tables.GetTableClient(Tables.LastPurchase).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(day, member.Value)).HasValue);
        Assert.True((await tables.GetTableClient(Tables.LotExpiry).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(expiry, member.Value)).HasValue);
    }

    [Fact]
    public async Task SaveProfile_WithBirthday_WritesBirthdayHint()
    {
        var store = NewStore();
        var member = MemberId.Parse(A.Id("m"));
        Birthday.TryParse("--02-29", out var birthday);

        await store.SaveProfileAsync(member, new MemberProfile { Birthday = birthday }, CancellationToken.None);

        var hint = await azurite.Tables.GetTableClient(Tables.Birthdays).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("0229", member.Value);
        Assert.True(hint.HasValue);
    }
}
