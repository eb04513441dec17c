"""The demo township: two districts, 金汇镇 and 梅山乡 from the source report, ~70 people, ten demo logins.

Everything is written through the services as the SYSTEM actor, in one transaction, so the demo data has
the same history, audit trail, encryption and search documents as data entered by hand. The people are
invented; their ID numbers are valid (GB 11643 check digit, region prefix 310120 or 330206), their
phones valid mobiles. `make_id_number` and `credit_code` are shared with `generate_people`.
"""

from __future__ import annotations

import datetime
import re

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tongzhan.accounts.models import User
from tongzhan.accounts.roles import Role
from tongzhan.core import identity
from tongzhan.core.actors import SYSTEM
from tongzhan.regions.models import Region
from tongzhan.regions.services import create_region

from .models import (
    Category,
    Country,
    Education,
    Ethnicity,
    OverseasDetail,
    Person,
    PoliticalAffiliation,
    Religion,
)
from .services import PersonInput, add_sub_record, create_person, join_category, verify_person

DISTRICT_CODE = "310120000000"
DEMO_PASSWORD = "Demo@2026tz"

# (code, name, level, parent code)
REGIONS = [
    ("310120000000", "奉贤区", "district", None),
    ("310120103000", "金汇镇", "township", "310120000000"),
    ("310120103201", "白沙村", "village", "310120103000"),
    ("310120103202", "齐贤村", "village", "310120103000"),
    ("310120103203", "金星村", "village", "310120103000"),
    ("310120103204", "明星村", "village", "310120103000"),
    ("330206000000", "北仑区", "district", None),
    ("330206105000", "梅山乡", "township", "330206000000"),
    ("330206105201", "梅山村", "village", "330206105000"),
    ("330206105202", "梅东村", "village", "330206105000"),
    ("330206105203", "梅中村", "village", "330206105000"),
    ("330206105204", "梅西村", "village", "330206105000"),
    ("330206105205", "峙南村", "village", "330206105000"),
    ("330206105206", "万景村", "village", "330206105000"),
    ("330206105202001", "七姓涂自然村", "group", "330206105202"),
    ("330206105202002", "湖头自然村", "group", "330206105202"),
    ("330206105202003", "上阳村民小组", "group", "330206105202"),
]

# (username, role, region name, first_name)
_USERS = [
    ("district", Role.DISTRICT_STAFF, "奉贤区", "奉贤区统战部（演示）"),
    ("jinhui", Role.TOWNSHIP_STAFF, "金汇镇", "金汇镇统战办（演示）"),
    ("meishan", Role.TOWNSHIP_STAFF, "梅山乡", "梅山乡统战办（演示）"),
    ("baisha", Role.VILLAGE_LIAISON, "白沙村", "白沙村统战联络员（演示）"),
    ("meidong", Role.VILLAGE_LIAISON, "梅东村", "梅东村统战联络员（演示）"),
    ("reviewer", Role.REVIEWER, "梅山乡", "梅山乡审核员（演示）"),
    ("auditor", Role.AUDITOR, "梅山乡", "梅山乡审计员（演示）"),
    ("sysadmin", Role.SYSTEM_ADMIN, "", "系统管理员（演示）"),
    ("secadmin", Role.SECURITY_ADMIN, "", "安全管理员（演示）"),
    ("auditadmin", Role.AUDIT_ADMIN, "", "审计管理员（演示）"),
]
DEMO_USERS = [(username, role.label, region or "—") for username, role, region, _first in _USERS]

# 姓名|村（组）|出生|性别|民族|政治面貌|学历|宗教|几天前核实（空＝从未）|工作单位|职务|类别{属性}
PEOPLE = """
顾文英|白沙村|19480312|F|汉族|群众|中等专科毕业||60|金汇中心小学（退休）|退休教师|overseas{tie_kind=侨眷;country=美国;is_representative=1} special_talent{skill=义务补课（小学语文、数学）;willing_to_volunteer=1;note=在小区内义务为学生补课}
沈国良|齐贤村|19620815|M|汉族|群众|初中毕业|天主教|45|齐贤天主堂|堂管会主任|venue_leader{venue_name=齐贤天主堂;role=堂管会主任}
陆阿兴|白沙村|19550104|M|汉族|群众|小学毕业|道教|400|白沙庙|负责人|venue_leader{venue_name=白沙庙;role=负责人}
释妙音|金星村|19700922|F|汉族|群众|普通高中毕业|佛教|30|天福庵|住持|venue_leader{venue_name=天福庵;role=住持}
张美华|金星村|19750611|F|汉族|群众|大学专科毕业|佛教|200|天福庵|会计|venue_leader{venue_name=天福庵;role=会计}
林志明|明星村|19680227|M|汉族|群众|大学本科毕业||120|上海宝岛精密机械有限公司|总经理|overseas{tie_kind=台属;country=中国台湾;is_representative=1} entrepreneur{enterprise_name=上海宝岛精密机械有限公司;credit_code=auto;industry=通用设备制造;staff_count=86;position=总经理}
曾庆华|白沙村|19520719|M|汉族|中共党员|普通高中毕业||200||退休干部|overseas{tie_kind=归侨;country=印度尼西亚;returned_year=1960}
单立新|齐贤村|19790403|M|汉族|九三学社社员|硕士研究生毕业||90|奉贤区中心医院|心内科副主任|democratic_party{party=九三学社社员;branch=九三学社奉贤区委金汇支社;joined_on=2011-05-20;party_posts=支社委员} professional{employer=奉贤区中心医院;post=心内科副主任;title=副主任医师;field=心血管内科}
解国平|明星村|19660918|M|汉族|群众|初中毕业||||家电维修个体户|overseas{tie_kind=侨眷;country=日本} special_talent{skill=家电维修;willing_to_volunteer=1;note=为行动不便的老人上门修理家电}
朱建平|金星村|19710530|M|汉族|民建会员|大学本科毕业||150|上海金汇食品有限公司|董事长|entrepreneur{enterprise_name=上海金汇食品有限公司;credit_code=auto;industry=食品加工;staff_count=230;position=董事长} democratic_party{party=民建会员;branch=民建奉贤区委企业家支部;joined_on=2014-09-01}
吴雪琴|明星村|19830114|F|汉族|民进会员|大学本科毕业||80|金汇中学|教研组长|democratic_party{party=民进会员;branch=民进奉贤区委教育支部;joined_on=2016-03-15} professional{employer=金汇中学;post=语文教研组长;title=中学一级教师;field=语文教学}
马国栋|齐贤村|19730808|M|回族|群众|普通高中毕业|伊斯兰教|300|金汇清真面馆|经营者|ethnic_minority{is_household_head=1;household_size=4;household_note=夫妻在镇上经营面馆，两个孩子在金汇读书;origin_place=甘肃临夏}
龙秀芝|白沙村|19900325|F|苗族|群众|大学专科毕业||100|金汇社区卫生服务中心|护士|ethnic_minority{is_household_head=0;household_size=3;origin_place=贵州凯里}
徐海峰|金星村|19850906|M|汉族|中共党员|博士研究生毕业||365|复旦大学|副教授|outbound_talent{present_city=上海市杨浦区;employer=复旦大学;field=材料科学}
周德明|白沙村|19640221|M|汉族|群众|大学专科毕业||70|上海白沙蔬果专业合作社|理事长|entrepreneur{enterprise_name=上海白沙蔬果专业合作社;credit_code=auto;industry=蔬菜种植;staff_count=26;position=理事长}
钱丽萍|齐贤村|19580916|F|汉族|群众|初中毕业|民间信仰|700|||folk_site_leader{site_name=齐贤土地庙;role=看管人}
欧阳建平|明星村|19770412|M|汉族|民盟盟员|硕士研究生毕业||110|上海应用技术大学|副教授|democratic_party{party=民盟盟员;branch=民盟奉贤区委第三支部;joined_on=2008-11-11;party_posts=支部副主委} professional{employer=上海应用技术大学;post=系副主任;title=副教授;field=化学工程}
杨春燕|金星村|19920707|F|汉族|共青团员|硕士研究生毕业||40|上海金汇生物科技有限公司|研发主管|overseas{tie_kind=留学人员;country=新加坡;returned_year=2019} professional{employer=上海金汇生物科技有限公司;post=研发主管;title=工程师;field=生物医药}
褚福根|白沙村|19450302|M|汉族|中共党员|小学毕业||1100||原村党支部书记|notable{field=农村基层治理;reputation=任白沙村党支部书记二十余年，带领村民兴修水利、发展蔬菜产业}
戴文浩|明星村|20010618|M|汉族|共青团员|大学本科毕业||20|华为技术有限公司|软件工程师|outbound_talent{present_city=深圳市;employer=华为技术有限公司;field=软件开发}
金玉凤|齐贤村|19690113|F|汉族|群众|普通高中毕业||||沪剧队队长|special_talent{skill=沪剧表演;willing_to_volunteer=1;note=金汇镇文化站沪剧队骨干}
陶振华|金星村|19590504|M|汉族|民革会员|大学本科毕业||500||退休职工|democratic_party{party=民革会员;branch=民革奉贤区委金汇支部;joined_on=2005-06-01;party_posts=支部主委} notable{field=书法;reputation=上海市书法家协会会员，作品多次参加市级展览}
宋佩玲|白沙村|19560827|F|汉族|群众|初中毕业||30|||overseas{tie_kind=港澳眷属;country=中国香港}
仇国强|金星村|19760119|M|汉族|中共党员|大学专科毕业||60|金汇镇农业服务中心|技术站站长|professional{employer=金汇镇农业服务中心;post=技术站站长;title=高级农艺师;field=蔬菜栽培}
区伟明|齐贤村|19600212|M|汉族|群众|普通高中毕业||||个体经营|overseas{tie_kind=归侨;country=马来西亚;returned_year=1978}
瞿红英|明星村|19530630|F|汉族|群众|小学毕业|民间信仰|260|||folk_site_leader{site_name=明星猛将堂;role=负责人}
释觉明|梅中村|19690416|M|汉族|群众|大学专科毕业|佛教|20|清修寺|住持|venue_leader{venue_name=清修寺;role=住持}
释宏法|梅中村|19880902|M|汉族|群众|大学本科毕业|佛教|20|清修寺|监院|venue_leader{venue_name=清修寺;role=监院}
邬志刚|梅山村|19610725|M|汉族|群众|初中毕业|道教|250|张公庙|管理小组组长|venue_leader{venue_name=张公庙;role=管理小组组长}
胡月娥|梅山村|19570108|F|汉族|群众|小学毕业|道教||张公庙|财务管理员|venue_leader{venue_name=张公庙;role=财务管理员}
贺阿香|梅西村|19461203|F|汉族|群众|小学毕业|民间信仰|35|南海寺|负责人|folk_site_leader{site_name=南海寺;role=负责人}
乐桂芳|峙南村|19500521|F|汉族|群众|小学肄业|民间信仰|500|峙南龙王宫|庙管会会长|folk_site_leader{site_name=峙南龙王宫;role=庙管会会长}
邬财富|万景村|19540814|M|汉族|群众|小学毕业|民间信仰|150|万景关帝庙|负责人|folk_site_leader{site_name=万景关帝庙;role=负责人}
张金娣|七姓涂自然村|19490909|F|汉族|群众|小学毕业|民间信仰|90|七姓涂土地庙|看管人|folk_site_leader{site_name=七姓涂土地庙;role=看管人}
王海东|梅东村|19720306|M|汉族|中共党员|大学本科毕业||50|宁波梅山水产养殖有限公司|总经理|entrepreneur{enterprise_name=宁波梅山水产养殖有限公司;credit_code=auto;industry=水产养殖;staff_count=45;position=总经理}
陈立军|梅西村|19680527|M|汉族|群众|普通高中毕业||400|宁波梅山滩涂养殖有限公司|执行董事|entrepreneur{enterprise_name=宁波梅山滩涂养殖有限公司;credit_code=auto;industry=海水养殖;staff_count=18;position=执行董事}
郑晓东|梅山村|19780112|M|汉族|民建会员|硕士研究生毕业||30|宁波梅山保税港区远洋国际物流有限公司|董事长|entrepreneur{enterprise_name=宁波梅山保税港区远洋国际物流有限公司;credit_code=auto;industry=国际货运代理;staff_count=160;position=董事长} democratic_party{party=民建会员;branch=民建北仑区基层委员会第一支部;joined_on=2015-04-20}
林海燕|梅中村|19820719|F|汉族|群众|大学本科毕业||75|宁波梅山港区国际贸易有限公司|总经理|entrepreneur{enterprise_name=宁波梅山港区国际贸易有限公司;credit_code=auto;industry=进出口贸易;staff_count=32;position=总经理}
邵建波|梅东村|19650203|M|汉族|中共党员|大学专科毕业||210|宁波梅山岛建设工程有限公司|董事长|entrepreneur{enterprise_name=宁波梅山岛建设工程有限公司;credit_code=auto;industry=建筑施工;staff_count=120;position=董事长}
司马文彬|梅中村|19740919|M|汉族|群众|大学本科毕业||95|宁波梅山港码头有限公司|工程技术部经理|professional{employer=宁波梅山港码头有限公司;post=工程技术部经理;title=高级工程师;field=港口机械}
何丽君|梅山村|19800830|F|汉族|民盟盟员|大学本科毕业||65|梅山乡卫生院|副院长|democratic_party{party=民盟盟员;branch=民盟北仑区基层委员会卫生支部;joined_on=2013-10-08} professional{employer=梅山乡卫生院;post=副院长;title=副主任医师;field=全科医学}
向红梅|梅东村|19790426|F|土家族|群众|大学本科毕业||45|北仑区梅山学校|年级组长|ethnic_minority{is_household_head=0;household_size=3;origin_place=湖南张家界;household_note=少数民族联谊小组负责人} professional{employer=北仑区梅山学校;post=年级组长;title=中学高级教师;field=英语教学}
买买提·艾力|梅山村|19870611|M|维吾尔族|群众|初中毕业|伊斯兰教|130|梅山新疆风味餐厅|经营者|ethnic_minority{is_household_head=1;household_size=5;origin_place=新疆喀什;household_note=2015年来梅山经营餐馆}
古丽娜尔·吐尔逊|梅山村|19900203|F|维吾尔族|群众|初中毕业|伊斯兰教|130|梅山新疆风味餐厅|店员|ethnic_minority{is_household_head=0;household_size=5;origin_place=新疆喀什}
马秀兰|峙南村|19631120|F|回族|群众|初中毕业|伊斯兰教|420|||ethnic_minority{is_household_head=1;household_size=2;origin_place=宁夏吴忠}
蓝彩凤|梅西村|19840305|F|畲族|群众|普通高中毕业||55|||ethnic_minority{is_household_head=0;household_size=4;origin_place=浙江景宁;household_note=嫁入梅西村}
田茂林|万景村|19760817|M|土家族|中共党员|大学专科毕业||85|宁波梅山冷链物流有限公司|仓储主管|ethnic_minority{is_household_head=1;household_size=4;origin_place=湖北恩施}
杨光荣|梅中村|19950724|M|苗族|共青团员|大学本科毕业||25|宁波梅山港码头有限公司|调度员|ethnic_minority{is_household_head=0;household_size=1;origin_place=贵州黔东南}
孙志远|梅山村|19810316|M|汉族|中共党员|博士研究生毕业||300|浙江大学海洋学院|研究员|outbound_talent{present_city=杭州市;employer=浙江大学海洋学院;field=海洋工程}
贝文龙|梅东村|19720909|M|汉族|群众|大学本科毕业|||北京智汇科技有限公司|技术总监|outbound_talent{present_city=北京市;employer=北京智汇科技有限公司;field=信息技术}
忻海波|峙南村|19880508|M|汉族|群众|硕士研究生毕业||180|上海振华重工（集团）股份有限公司|工程师|outbound_talent{present_city=上海市;employer=上海振华重工（集团）股份有限公司;field=港口机械设计}
邬珊珊|梅西村|19930222|F|汉族|共青团员|硕士研究生毕业||60|腾讯科技（深圳）有限公司|产品经理|overseas{tie_kind=留学人员;country=英国;returned_year=2018} outbound_talent{present_city=深圳市;employer=腾讯科技（深圳）有限公司;field=产品设计}
傅德荣|梅山村|19400517|M|汉族|中共党员|大学本科毕业||800||退休水利专家|notable{field=水利工程;reputation=参与梅山七姓涂围垦和海堤工程设计，退休后担任乡水利顾问}
舒云霞|梅中村|19580630|F|汉族|群众|大学本科毕业||140|宁波市文联|作家|notable{field=文学;reputation=宁波市作家协会会员，出版散文集《梅山潮声》} outbound_talent{present_city=宁波市;employer=宁波市文联;field=文学创作}
王伯年|梅东村|19380211|M|汉族|无党派人士|大学本科毕业||1000||退休中医|notable{field=中医;reputation=梅山籍名老中医，曾任北仑区中医院院长}
乐雅芬|梅山村|19540710|F|汉族|群众|中等专科毕业||40|梅山学校（退休）|退休教师|overseas{tie_kind=侨眷;country=美国;is_representative=1}
解志勇|梅东村|19660113|M|汉族|群众|初中毕业||330|||overseas{tie_kind=侨眷;country=日本;is_representative=1}
曾美玲|湖头自然村|19710825|F|汉族|群众|初中毕业||||个体经营|overseas{tie_kind=侨眷;country=新加坡}
单秋菊|梅西村|19590919|F|汉族|群众|小学毕业||600|||overseas{tie_kind=台属;country=中国台湾;is_representative=1}
仇海明|峙南村|19620404|M|汉族|群众|普通高中毕业||100|梅山海鲜酒家|经营者|overseas{tie_kind=港澳眷属;country=中国香港}
区美华|万景村|19480813|F|汉族|群众|小学毕业|||||overseas{tie_kind=归侨;country=马来西亚;returned_year=1958}
江建国|梅中村|19680801|M|汉族|民革会员|大学本科毕业||220|梅山乡农业综合服务站|站长|democratic_party{party=民革会员;branch=民革北仑区总支第二支部;joined_on=2009-07-01} professional{employer=梅山乡农业综合服务站;post=站长;title=农艺师;field=农业技术推广}
俞晓燕|梅东村|19860315|F|汉族|九三学社社员|博士研究生毕业||70|宁波大学|副教授|democratic_party{party=九三学社社员;branch=九三学社宁波大学委员会;joined_on=2017-12-01} outbound_talent{present_city=宁波市;employer=宁波大学;field=海洋生物}
应国平|梅山村|19630427|M|汉族|农工党党员|大学本科毕业||160|北仑区人民医院|主任医师|democratic_party{party=农工党党员;branch=农工党北仑区总支医卫支部;joined_on=2006-05-10} professional{employer=北仑区人民医院;post=骨科主任;title=主任医师;field=骨科}
夏雨萌|万景村|19900619|F|汉族|致公党党员|硕士研究生毕业||35|宁波梅山国际冷链物流有限公司|财务总监|democratic_party{party=致公党党员;branch=致公党北仑支部;joined_on=2020-06-18} overseas{tie_kind=留学人员;country=加拿大;returned_year=2016}
邬阿毛|梅中村|19520302|M|汉族|群众|小学毕业||380||渔灯手艺人|special_talent{skill=渔灯制作;willing_to_volunteer=1;note=梅山传统渔灯手艺人，常到学校教孩子扎渔灯}
虞秀珍|梅西村|19610908|F|汉族|群众|初中毕业||50|||special_talent{skill=剪纸;willing_to_volunteer=1}
柴建华|梅东村|19700705|M|汉族|群众|中等专科毕业||90|建华推拿诊所|推拿师|special_talent{skill=中医推拿;willing_to_volunteer=0}
竺海龙|上阳村民小组|19810221|M|汉族|群众|技工学校毕业||15||宗教信息员|special_talent{skill=无人机航拍;willing_to_volunteer=1;note=宗教信息员，协助场所消防巡查}
周颖|七姓涂自然村|19880412|F|汉族|中共党员|硕士研究生毕业||45|宁波梅山国际冷链物流有限公司|财务经理|professional{employer=宁波梅山国际冷链物流有限公司;post=财务经理;title=高级会计师;field=财务管理}
"""

# 姓名|类别|属性 — relatives abroad, posts, education and honours.
SUB_RECORDS = """
顾文英|relative|name=沈蕾;relation=女儿;country=美国;city=洛杉矶;occupation=会计师
顾文英|honour|title=奉贤区侨界志愿服务先进个人;awarded_by=奉贤区侨联;year=2023
曾庆华|relative|name=曾德昌;relation=兄长;country=印度尼西亚;city=雅加达;occupation=商人
曾庆华|post|organisation=金汇镇侨联;title=委员;start=2012-01-01
解国平|relative|name=解磊;relation=儿子;country=日本;city=大阪;occupation=工程师
区伟明|relative|name=区伟光;relation=弟弟;country=马来西亚;city=吉隆坡;occupation=餐饮业
宋佩玲|relative|name=宋佩华;relation=弟弟;country=中国香港;city=香港;occupation=会计
林志明|relative|name=林正雄;relation=叔叔;country=中国台湾;city=台中;occupation=企业主
乐雅芬|relative|name=陈志宏;relation=儿子;country=美国;city=纽约;occupation=医生
乐雅芬|relative|name=陈思远;relation=孙子;country=美国;city=纽约;occupation=学生
乐雅芬|post|organisation=梅山乡侨台工作员队伍;title=负责人;start=2010-03-01
解志勇|relative|name=解婷;relation=女儿;country=日本;city=东京;occupation=留学后就业
曾美玲|relative|name=邬国华;relation=丈夫;country=新加坡;city=新加坡;occupation=海员
单秋菊|relative|name=单德福;relation=叔叔;country=中国台湾;city=高雄;occupation=退休
仇海明|relative|name=仇海生;relation=哥哥;country=中国香港;city=香港;occupation=经商
区美华|relative|name=区玉珍;relation=姐姐;country=马来西亚;city=槟城;occupation=退休教师
王海东|post|organisation=梅山工商联络站;title=副站长;start=2018-01-01
邵建波|post|organisation=北仑区政协;title=委员;start=2017-01-01;end=2021-12-31
郑晓东|honour|title=北仑区优秀民营企业家;awarded_by=北仑区人民政府;year=2021
郑晓东|education|school=上海海事大学;major=物流管理;level=硕士研究生毕业;start=2001-09-01;end=2004-07-01
释觉明|post|organisation=北仑区佛教协会;title=副会长;start=2016-06-01
释宏法|education|school=闽南佛学院;major=佛学;level=大学本科毕业;start=2007-09-01;end=2011-07-01
向红梅|honour|title=宁波市民族团结进步模范个人;awarded_by=宁波市民族宗教事务局;year=2022
向红梅|education|school=吉首大学;major=英语;level=大学本科毕业;start=1997-09-01;end=2001-07-01
何丽君|post|organisation=北仑区政协;title=委员;start=2022-01-01
孙志远|education|school=浙江大学;major=海洋工程;level=博士研究生毕业;start=2004-09-01;end=2010-06-30
褚福根|honour|title=奉贤区优秀共产党员;awarded_by=中共奉贤区委;year=1998
傅德荣|honour|title=浙江省水利系统先进工作者;awarded_by=浙江省水利厅;year=1995
陶振华|post|organisation=奉贤区书法家协会;title=理事;start=2015-01-01
"""

# Mobile number segments of the three carriers.
MOBILE_PREFIXES = tuple(
    re.findall(
        r"\d{3}",
        "139 138 137 136 135 150 151 152 158 159 182 187 188 130 131 132 155 156 186 133 153 180 189 177 199",
    )
)
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I O S V Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def make_id_number(prefix6: str, birth: datetime.date, seq: int) -> str:
    """An 18-digit resident ID: region, birth date, 3-digit sequence (odd = male), GB 11643 check digit."""
    first17 = f"{prefix6}{birth:%Y%m%d}{seq:03d}"
    return first17 + identity.check_digit(first17)


def credit_code(prefix6: str, serial: int) -> str:
    """A well-formed 统一社会信用代码 (GB 32100): 9 工商 + 1 企业 + region + org code (GB 11714) + check."""
    body = f"{serial % 10**8:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    first17 = "91" + prefix6 + body + ("X" if org_check == 10 else "0" if org_check == 11 else str(org_check))
    check = 31 - sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True)) % 31
    return first17 + CREDIT_CHARS[0 if check == 31 else check]


def _attributes(text: str, prefix6: str, serial: int) -> dict:
    """`k=v;k=v` with names for code-table values (党派、国家、学历、身份类别)."""
    lookups = {
        "party": (PoliticalAffiliation, "short_name"),
        "country": (Country, "name"),
        "level": (Education, "name"),
    }
    result = {}
    for pair in filter(None, text.split(";")):
        key, value = pair.split("=", 1)
        if key in lookups:
            model, field = lookups[key]
            result[f"{key}_id"] = model.objects.get(**{field: value}).pk
        elif key == "tie_kind":
            result[key] = next(k for k, label in OverseasDetail.TieKind.choices if label == value)
        elif key == "credit_code" and value == "auto":
            result[key] = credit_code(prefix6, 31_000_000 + serial * 7_919)
        else:
            result[key] = value
    return result


def _address(region: Region, number: int) -> str:
    chain = [region]
    while chain[0].level not in ("township", "district") and chain[0].parent is not None:
        chain.insert(0, chain[0].parent)
    return "".join(r.name for r in chain) + f"{number}号"


def _create_people(regions: dict[str, Region], today: datetime.date) -> dict[str, Person]:
    code = lambda model, field, value: model.objects.get(**{field: value}) if value else None  # noqa: E731
    people = {}
    for index, line in enumerate(filter(None, PEOPLE.strip().splitlines())):
        (name, place, birth, sex, ethnicity, party, education, religion, verified, unit, job, categories) = (
            line.split("|")
        )
        region = regions[place]
        prefix6 = region.code[:6]
        born = datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        seq = 800 + 2 * (index % 100) + (1 if sex == "M" else 0)
        data = PersonInput(
            name=name,
            region=region,
            id_number=make_id_number(prefix6, born, seq),
            phone=MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
            + f"{(index * 7_919_993 + 20_261_127) % 10**8:08d}",
            address=_address(region, 3 + index * 7 % 180),
            ethnicity=code(Ethnicity, "name", ethnicity),
            religion=code(Religion, "name", religion),
            political_affiliation=code(PoliticalAffiliation, "short_name", party),
            education=code(Education, "name", education),
            native_place="上海奉贤" if prefix6 == "310120" else "浙江宁波",
            work_unit=unit,
            job_title=job,
            source=Person.Source.DEMO,
        )
        person = create_person(actor=SYSTEM, data=data)
        since = datetime.date(2016 + index % 9, 1 + index % 12, 1 + index % 28)
        for category, text in re.findall(r"(\w+)\{([^}]*)\}", categories):
            join_category(
                actor=SYSTEM,
                person=person,
                category=Category.objects.get(code=category),
                attributes=_attributes(text, prefix6, index),
                since=min(since, today),
            )
        if verified:
            verify_person(actor=SYSTEM, person=person, on=today - datetime.timedelta(days=int(verified)))
        people[name] = person
    return people


def _create_sub_records(people: dict[str, Person]) -> None:
    for line in filter(None, SUB_RECORDS.strip().splitlines()):
        name, kind, text = line.split("|")
        person = people[name]
        add_sub_record(actor=SYSTEM, person=person, kind=kind, attributes=_attributes(text, "", 0))


def _create_users(regions: dict[str, Region]) -> None:
    # One PBKDF2 run for all ten: the password is public (printed on the start banner), so a shared salt
    # gives nothing away, and the first start is five seconds faster.
    hashed = make_password(DEMO_PASSWORD)
    for username, role, region, first_name in _USERS:
        user = User.objects.create_user(
            username=username,
            password=None,
            first_name=first_name,
            role=role,
            region=regions[region] if region else None,
            is_demo=True,
        )
        user.password = hashed
        user.save(update_fields=["password"])


def is_loaded() -> bool:
    return Region.objects.filter(code=DISTRICT_CODE).exists()


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Create the demo regions, people and users. Returns counts; the caller checks `is_loaded` first."""
    regions: dict[str, Region] = {}
    by_code: dict[str, Region] = {}
    for region_code, name, level, parent_code in REGIONS:
        region = create_region(
            actor=SYSTEM,
            name=name,
            code=region_code,
            level=level,
            parent=by_code[parent_code] if parent_code else None,
        )
        regions[name] = by_code[region_code] = region
    people = _create_people(regions, timezone.localdate())
    _create_sub_records(people)
    _create_users(regions)
    return {"regions": len(regions), "people": len(people), "users": len(_USERS)}
