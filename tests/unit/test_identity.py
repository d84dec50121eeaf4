"""Who a petitioner is (GB 11643-1999 ID numbers, phone numbers), what staff see of them
(masking), and how alike two matters read (repeat detection)."""

from __future__ import annotations

import pytest

from petition_flow.domain.identity import (
    id_check_digit,
    id_number_error,
    mask_id_number,
    mask_phone,
    phone_error,
    similarity,
)
from petition_flow.services.repeats import SIMILAR

# Check digits worked out by hand (ISO 7064 MOD 11-2; weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2;
# remainder 0..10 -> 1 0 X 9 8 7 6 5 4 3 2):
# 11010519491231002: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> X
# 61032619800101123 (眉县): 42+9+0+15+16+24+2+9+48+0+0+9+0+5+8+8+6 = 201; 201 mod 11 = 3 -> 9
ID_ENDING_IN_X = "11010519491231002X"
MEIXIAN_ID = "610326198001011239"


@pytest.mark.parametrize("value", [MEIXIAN_ID, ID_ENDING_IN_X, ID_ENDING_IN_X.lower(),
                                   f"  {MEIXIAN_ID} "])
def test_a_valid_18_digit_id_number_is_accepted(value):
    assert id_number_error(value) is None


def test_the_check_digit_is_the_one_worked_out_by_hand():
    assert id_check_digit(MEIXIAN_ID[:17]) == "9"
    assert id_check_digit(ID_ENDING_IN_X[:17]) == "X"


@pytest.mark.parametrize("value", ["610326198001011238", "110105194912310021",
                                   "610326198001011230", "61032619800101123X"])
def test_an_id_number_with_a_wrong_check_digit_is_refused(value):
    assert id_number_error(value) == "身份证号码校验位不正确，请核对。"


@pytest.mark.parametrize("birth", ["19800230", "19801301", "19800100", "20250229"])
def test_an_id_number_with_an_impossible_birth_date_is_refused(birth):
    first17 = f"610326{birth}123"
    value = first17 + id_check_digit(first17)  # a correct check digit, so the date is the fault

    assert id_number_error(value) == "身份证号码中的出生日期无效。"


@pytest.mark.parametrize("value", [
    MEIXIAN_ID[:17], MEIXIAN_ID + "1", "610326800101123", "", "6103261980010112X9",
    "61032619800101123Y",
])
def test_an_id_number_of_the_wrong_length_or_shape_is_refused(value):
    assert id_number_error(value) == "身份证号码应为18位，最后一位可以是数字或X。"


@pytest.mark.parametrize("value", [
    "13912345678", "19912345678", "139 1234 5678",  # mobile
    "0917-1234567", "09171234567", "010-12345678", "02912345678",  # landline with area code
])
def test_mobile_and_landline_numbers_with_an_area_code_are_accepted(value):
    assert phone_error(value) is None


@pytest.mark.parametrize("value", [
    "12912345678", "1391234567", "139123456789", "1234567", "917-1234567", "0917-123456",
    "0917-1234567-8", "电话13912345678",
])
def test_a_malformed_phone_number_is_refused_with_an_example_of_the_format(value):
    assert "0917-1234567" in phone_error(value)


@pytest.mark.parametrize("mask, value", [
    (mask_id_number, MEIXIAN_ID), (mask_id_number, ID_ENDING_IN_X),
    (mask_phone, "13912345678"), (mask_phone, "0917-1234567"),
])
def test_masking_keeps_the_first_three_and_last_four_characters_only(mask, value):
    masked = mask(value)

    assert masked[:3] == value[:3]
    assert masked[-4:] == value[-4:]
    assert set(masked[3:-4]) == {"*"}


def test_masked_numbers_read_as_staff_expect():
    assert mask_id_number(MEIXIAN_ID) == "610***********1239"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_number(None) == mask_phone("") == ""


@pytest.mark.parametrize("a, b", [
    ("某建筑公司拖欠我三个月工资共计两万元，请求督促支付。",
     "请求督促某建筑公司支付拖欠的三个月工资两万元。"),
    ("本人在某工地务工，工资未结清，请求督促支付拖欠工资。",
     "我在某工地打工，工地一直未结清工资，请求督促支付拖欠的工资"),
])
def test_the_same_complaint_worded_differently_reads_as_a_possible_repeat(a, b):
    assert similarity(a, b) >= SIMILAR
    assert similarity(a, b) == similarity(b, a)


@pytest.mark.parametrize("a, b", [
    ("某建筑公司拖欠我三个月工资共计两万元，请求督促支付。",
     "小区楼下烧烤店夜间噪音扰民，请求有关部门整治。"),
    ("反映村里土地征收补偿款未发放到位", "建议在县城增设公交线路方便群众出行"),
])
def test_unrelated_matters_read_as_unrelated(a, b):
    assert similarity(a, b) < 0.1


def test_identical_text_is_fully_similar_and_empty_text_is_similar_to_nothing():
    assert similarity("拖欠工资", " 拖欠工资。") == 1.0
    assert similarity("", "拖欠工资") == 0.0
    assert similarity("，。", "，。") == 0.0


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone])
def test_a_value_too_short_to_be_real_is_masked_entirely(mask):
    assert mask("12345") == "*****"
