from petition_flow.services.audit import verify_chain


def test_a_petition_walks_through_all_six_steps_to_conclusion_with_a_valid_audit_chain(
    cases, session
):
    case = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "evaluate",
                       "close"])
    assert case.state == "concluded"
    assert case.first_handler_unit_id == case.responsible_unit_id
    assert verify_chain(session).ok
