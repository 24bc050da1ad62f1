using Azure.Data.Tables;
using Loyalty.Adapters.Events;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>A member to enrol with <paramref name="Profile"/> (as <see cref="MemberStore.SaveProfileAsync(MemberId, Func{StoredMember?, ProfileDecision}, ConsentSource, CancellationToken)"/>
/// would create them, consent recorded as coming from <paramref name="Consent"/>) and their first operation, in one transaction.</summary>
public sealed record Enrolment<T>(MemberProfile Profile, ConsentSource Consent, MemberOperation<T> First);

public sealed partial class MemberStore
{
    /// <summary>Enrols new members, each with their first operation, in one transaction per member that adds the member
    /// row, the consent entry, the operation row, its ledger entries and the events of both: a member is there whole or
    /// not at all. What many members share is written first in batch transactions: the hints their rows need (a day or a
    /// birthday shared by many members is one request) and their pending-events hints. For each enrolment the result is
    /// <see cref="OperationStatus.Created"/>, <see cref="OperationStatus.Refused"/> (decided on the member as they would be
    /// enrolled: nothing written), or null: the member is there already (their transaction found the member row), or the
    /// change needs what this path does not do (cards or ids to claim, new voucher codes, more rows than a transaction
    /// holds). A null is for the caller to take the ordinary way (<see cref="SaveProfileAsync(MemberId, Func{StoredMember?, ProfileDecision}, ConsentSource, CancellationToken)"/>,
    /// then <see cref="RunAsync{T}"/>), which also answers replays and conflicts; the personal hints written here for a
    /// member who was there already are deleted again unless that member needs them.</summary>
    public async Task<IReadOnlyList<OperationResult<T>?>> EnrolAllAsync<T>(IReadOnlyList<Enrolment<T>> enrolments, int parallel, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var plans = enrolments.Select(e => PlanEnrolment(e, now)).ToList();
        var ready = plans.OfType<NewMember<T>>().ToList();
        await Task.WhenAll(
            indexes.AddAllAsync(ready.SelectMany(p => p.Hints.Select(h => (p.Member.Id, h))), parallel, ct),
            outbox.PrepareAllAsync([.. ready.Where(p => p.Events.Count > 0).Select(p => p.Member.Id)], ct));

        var results = new OperationResult<T>?[plans.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (i, token) =>
        {
            results[i] = plans[i] switch
            {
                NewMember<T> plan => await CommitEnrolmentAsync(plan, token),
                OperationResult<T> refused => refused,
                _ => null,
            };
        });
        return results;
    }

    /// <summary>The new member with their first operation decided (a <see cref="NewMember{T}"/>), its refusal (an
    /// <see cref="OperationResult{T}"/>), or null for the ordinary way.</summary>
    private object? PlanEnrolment<T>(Enrolment<T> enrolment, DateTimeOffset now)
    {
        var (profile, source, operation) = enrolment;
        if (profile.Cards.Count > 0 || operation.ClaimsId || operation.RelatedKey is not null)
        {
            return null;
        }

        // As the profile save enrols them: consent dated now unless the profile dates it, the member's personal hints listed.
        if (profile.Sms.State != SmsConsent.None.State && profile.Sms.Since is null)
        {
            profile = profile with { Sms = profile.Sms with { Since = now } };
        }

        var id = operation.MemberId;
        var enrolled = Profiles.Saved(null, profile, now, source.Channel);
        var member = new StoredMember(id, profile, new Account { EnrolledAt = now }, default, null, indexes.PersonalHintsOf(profile), enrolled.Count);
        var outcome = Decide(operation, member, null, new OperationContext(program, now, codes.Next));
        if (outcome.Refusal is { } refusal)
        {
            return new OperationResult<T>(OperationStatus.Refused, Refusal: refusal, Member: member);
        }

        var posting = outcome.Posting!;
        if (!posting.Account.Vouchers.IsEmpty)
        {
            return null;
        }

        IReadOnlyList<StoredEvent> events =
        [
            .. EventOutbox.Number(id, 0, enrolled, now, "profile"),
            .. EventOutbox.Number(id, enrolled.Count, operation.EventsOf(outcome, program), posting.RecordedAt, operation.Key.ToString()),
        ];
        var (personal, hints) = indexes.HintsOf(null, profile, posting.Account);
        var after = member with { Account = posting.Account, EventSeq = events.Count };
        List<TableTransactionAction> actions =
        [
            new(TableTransactionActionType.Add, MemberRows.ToRow(after, now)),
            new(TableTransactionActionType.Add, OperationRow(operation, outcome, posting)),
            .. posting.Entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToRow(id, e))),
        ];
        if (ConsentAction(id, SmsConsent.None, profile.Sms, source, now) is { } consent)
        {
            actions.Add(consent);
        }

        return actions.Count + events.Count > MaxTransaction ? null : new NewMember<T>(operation, outcome, after, actions, events, hints, personal);
    }

    private async Task<OperationResult<T>?> CommitEnrolmentAsync<T>(NewMember<T> plan, CancellationToken ct)
    {
        var id = plan.Member.Id;
        try
        {
            await CommitAsync(id, plan.Actions, plan.Events, ct);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            // The member is there already: the ordinary way answers. Personal hints that lead to them only if they need them.
            if (plan.Personal.Count > 0)
            {
                var stored = await GetAsync(id, ct);
                IReadOnlySet<string> needed = stored is { IsErased: false } ? Union(stored.PersonalHints, indexes.PersonalHintsOf(stored.Profile)) : new HashSet<string>();
                await indexes.RemovePersonalAsync(id, plan.Personal.Where(h => !needed.Contains(h)), ct);
            }

            return null;
        }

        metrics?.Committed(plan.Operation.Key, plan.Outcome.Posting!);
        return new OperationResult<T>(OperationStatus.Created, plan.Outcome.Result, Member: plan.Member, Record: plan.Outcome.Record);
    }

    /// <summary>A new member's enrolment, decided: the transaction's rows and events, and the hints to write before it.</summary>
    private sealed record NewMember<T>(
        MemberOperation<T> Operation,
        Outcome<T> Outcome,
        StoredMember Member,
        IReadOnlyList<TableTransactionAction> Actions,
        IReadOnlyList<StoredEvent> Events,
        IReadOnlyList<string> Hints,
        IReadOnlySet<string> Personal);
}
