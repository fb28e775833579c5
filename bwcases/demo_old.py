"""A realistic synthetic Better Work portfolio: factories, assessments, partners and cases."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bwcases.catalogue import (
    COMPLIANCE_POINTS,
    CORE_LABOUR_STANDARDS,
    MERGED_HAZARDOUS_CP,
    PUBLIC_DISCLOSURE,
    QuestionType,
    canonical_compliance_point,
)
from bwcases.domain import ItemSource, PartnerType, Priority, Status, Verification, VisitKind
from bwcases.errors import UsageError
from bwcases.store import Store

AS_OF = dt.date(2026, 11, 26)  # the portfolio's "today": nothing in it happens later
FIRST_DAY = dt.date(2019, 1, 1)
ACTOR = "demo-data"
CHUNK_ROWS = 200_000
MAX_ITEMS = 25  # Improvement Plan items from findings, per factory
DECAY = 0.3  # each later cycle lowers the log-odds of non-compliance by this much
CYCLE_SHARES = (0.1, 0.13, 0.16, 0.18, 0.19, 0.24)  # of factories with 1, 2, ... 6 cycles
EFFECTS = (0.45, 0.45, 0.55)  # spread of a factory's own log-odds: overall, cluster, CP
OSH = "Occupational Safety and Health"
CPS = tuple(cp for cps in COMPLIANCE_POINTS.values() for cp in cps)
CLUSTER_OF = {cp: cluster for cluster, cps in COMPLIANCE_POINTS.items() for cp in cps}
CODES = ("CHL", "DIS", "FOR", "FOA", "CMP", "CON", "OSH", "WTM")  # of the clusters, in order
CLUSTER_CODES = dict(zip(COMPLIANCE_POINTS, CODES, strict=True))
SPELLING = ["question_id", "question_label", "compliance_point", "cluster", "question_type", "tags"]
CHUNK_COLUMNS = [
    "row",
    "country",
    "cycle",
    "factory_id",
    "factory_name",
    "quest_id",
    "start_date",
    "question_type",
    "question_label",
    "question_id",
    "compliance_point",
    "cluster",
    "finding",
    "tags",
    "fact",
]

# The CAT: each compliance point with its code and its usual non-compliance rate (the share of
# factories non-compliant on their latest assessment), then its NCQ questions; "*" marks the
# questions tagged Public Disclosure.
_NCQ_TEXT = """
Child Labourers | CL | 0.02
* Are there workers at the factory who are under the minimum working age?
- Did the employer verify the age of workers before hiring them?
- Are children under the minimum working age present in production areas?
- Did the employer comply with the minimum age requirements for apprentices and trainees?
Hazardous Work and other Worst Forms | HW | 0.03
* Are there workers under 18 who perform hazardous work?
- Are workers under 18 working at night?
- Are workers under 18 working with hazardous chemicals or dangerous machinery?
- Are workers under 18 working longer hours than the law allows?
Unconditional Worst Forms | UW | 0.005
* Are there children who are trafficked or in bonded or forced labour at the factory?
- Are children used for illicit activities or sexual exploitation on factory premises?
- Are children recruited through third parties who keep their wages or documents?
Documentation and Protection of Young Workers | YW | 0.08
- Does the employer keep a register of workers under 18 with their dates of birth?
- Does the employer keep copies of documents proving the age of every worker?
- Did the employer obtain the required medical certificates for workers under 18?
- Did the employer obtain parental consent where the law requires it for young workers?
- Did the employer notify the labour inspectorate of workers under 18 as required?
- Does the employer have a procedure to follow when a child labourer is found?
Gender | GE | 0.22
* Does the employer require pregnancy tests or contraception as a condition of employment?
- Did the employer dismiss or refuse to renew workers' contracts because they were pregnant?
- Are men and women paid differently for the same work?
* Is there sexual harassment at the workplace?
- Does the employer have a policy and procedure to prevent and address sexual harassment?
- Does the employer consider gender in decisions on hiring, promotion or training?
- Are job advertisements restricted to one sex without a legitimate reason?
- Do pregnant and nursing workers receive the protections required by law?
- Did the employer ask about marital status or family plans during recruitment?
Race and Origin | RO | 0.03
- Does the employer consider race, colour or national origin in decisions on hiring or pay?
- Are migrant workers paid less than local workers for the same work?
- Are workers harassed or abused because of their race, origin or ethnicity?
Religion and Political Opinion | RP | 0.02
- Does the employer consider religion or political opinion in hiring or dismissal?
- Are workers prevented from observing their religious practices as the law allows?
- Are workers harassed because of their religion or political opinion?
Other Grounds | OG | 0.08
- Does the employer discriminate against workers on the basis of HIV status?
- Does the employer discriminate against workers with disabilities?
- Does the employer consider age in decisions on hiring, pay or dismissal without legal basis?
- Did the employer meet the legal quota for the employment of persons with disabilities?
Coercion | CO | 0.05
* Does the employer use threats, violence or intimidation to make workers work?
* Does the employer keep workers' identity documents or passports?
- Are workers free to leave the factory premises after their shifts?
- Does the employer restrict workers' freedom of movement in dormitories?
- Are workers required to pay a deposit or leave part of their wages with the employer?
- Are workers prevented from resigning by penalties or withheld payments?
Bonded Labour | BL | 0.02
* Are workers bound to the factory by debts to the employer or a recruitment agent?
- Did workers pay recruitment fees or costs to get their job?
- Does the employer make loans to workers on terms that keep them from leaving?
- Are workers' wages paid to a third party instead of the worker?
Prison Labour | PL | 0.005
- Does the factory use prison labour?
- Does the factory use subcontractors that use prison labour?
Forced Labour and Overtime | OT | 0.05
* Are workers forced to work overtime under threat of penalty?
- Are workers who refuse overtime dismissed, fined or denied promotion?
- Must workers work overtime to reach targets they cannot meet in regular hours?
- Are workers locked in the workplace to make them work overtime?
Freedom to Associate | FA | 0.1
* Can workers freely form and join the union of their choice?
- Does the employer require workers to join or not join a union as a condition of employment?
- Are workers free to leave a union without penalty?
- Does the employer recognise the union as the law requires?
Union Operations | UO | 0.15
- Can unions operate in the factory without interference from the employer?
- Does the employer deduct union dues when workers ask for it as the law requires?
- Does the employer give union representatives time off to perform their duties?
- Does the employer give union representatives access to workers?
- Can the union hold meetings without the employer being present?
- Does the employer provide facilities to the union as required by law or agreement?
Interference and Discrimination | ID | 0.3
* Has the employer tried to control or manipulate the union or workers' organisation?
* Has the employer discriminated against workers because of union membership or activity?
- Does management take part in union meetings or elections?
- Does the employer support one union to favour it over another?
- Were union leaders dismissed, transferred or denied promotion for union activity?
Collective Bargaining | CB | 0.2
- Does the employer bargain collectively in good faith with the union?
- Does the employer comply with the collective agreement?
- Were workers consulted about the collective agreement as required by law?
- Has the employer bargained directly with workers to undermine the union?
- Has the employer registered the collective agreement with the authorities?
- Does the employer give the union the information needed for meaningful bargaining?
Strikes | ST | 0.03
- Has the employer punished workers for taking part in a legal strike?
- Has the employer replaced striking workers during a legal strike?
- Has the employer interfered with workers' right to strike?
Minimum Wages/Piece Rate Wages | MW | 0.2
* Did the employer pay workers at least the minimum wage for ordinary hours?
- Did the employer pay piece-rate workers at least the minimum wage for ordinary hours?
- Did the employer pay trainees and probationary workers at least the minimum wage?
- Did the employer pay daily and hourly workers at least the minimum wage?
- Did the employer apply the latest minimum wage increase on time?
- Did the employer pay workers their wages in full?
Overtime Wages | OW | 0.35
* Did the employer pay workers the legal rate for ordinary overtime hours?
- Did the employer pay workers correctly for overtime on weekly rest days?
- Did the employer pay workers correctly for overtime on public holidays?
- Did the employer pay piece-rate workers correctly for overtime hours?
- Did the employer pay workers correctly for overtime at night?
- Did the employer record and pay all overtime hours worked?
Premium Pay | PP | 0.25
- Did the employer pay workers correctly for night work?
- Did the employer pay the attendance bonus as required by law?
- Did the employer pay the seniority bonus as required?
- Did the employer pay the year-end bonus or thirteenth-month pay as required?
Method of Payment | MP | 0.12
* Did the employer pay workers on time?
- Did the employer pay workers in legal tender or by bank transfer as the law allows?
- Did the employer pay workers' final wages on time when they left?
- Did the employer pay workers directly rather than through a third party?
Wage Information, Use and Deduction | WI | 0.35
- Did the employer give workers an accurate pay slip for each pay period?
- Did the employer keep one accurate set of payroll records?
- Did the employer make only the deductions allowed by law?
- Did the employer use fines or deductions from wages as a disciplinary measure?
- Did the employer inform workers how their wages are calculated before they started work?
- Did the employer keep accurate records of the output of piece-rate workers?
- Did the employer deduct the cost of personal protective equipment from wages?
Paid Leave | PL | 0.4
* Did the employer give workers the paid annual leave they are entitled to?
- Did the employer pay workers correctly for public holidays?
- Did the employer pay workers for unused annual leave when they left?
- Did the employer pay workers correctly for sick leave?
- Did the employer pay maternity leave benefits as required?
Social Security and Other Benefits | SS | 0.45
* Did the employer register all workers for social security?
- Did the employer pay the correct social security contributions for all workers?
- Did the employer pay health insurance contributions for all workers?
- Did the employer pay unemployment insurance contributions as required?
- Did the employer pay the benefits required when workers were injured at work?
- Did the employer provide the childcare or nursing allowances required by law?
- Did the employer pay severance or service benefits as required?
Contracting Procedures | CP | 0.2
- Did the employer use short-term contracts repeatedly to avoid obligations to workers?
- Did the employer comply with the legal limit on probation periods?
- Did the employer use subcontracted or agency workers only as the law allows?
- Did the employer use homeworkers in line with the law?
- Did the employer comply with the law on the use of apprentices?
Employment Contracts | EC | 0.45
- Did the employer give every worker a written contract as required by law?
- Do the contracts include the terms required by law?
- Did the employer register contracts with the authorities as required?
- Does the employer use fixed-duration contracts for work that is permanent in nature?
- Did workers receive a copy of their contract in a language they understand?
- Did the employer convert fixed-term contracts into permanent ones as the law requires?
- Do the factory's internal rules comply with the law?
Termination | TE | 0.2
- Did the employer give the required notice before terminating contracts?
- Did the employer pay severance as required?
- Did the employer follow the legal procedure for dismissals for economic reasons?
- Did the employer dismiss workers without a valid reason?
- Did the employer consult the union before dismissals where required?
- Did the employer follow the legal procedure for suspending workers?
Dialogue, Discipline and Disputes | DD | 0.35
- Does the employer have a grievance procedure that workers know and use?
- Did the employer follow the legal procedure for disciplinary actions?
- Does the factory have a functioning bipartite committee as required by law?
- Did the employer hold the required meetings with worker representatives?
- Do managers or supervisors use physical or verbal abuse against workers?
- Did the employer consult worker representatives on changes that affect them?
- Did the employer respond to grievances within the time the procedure sets?
OSH Management Systems | MS | 0.75
- Has the employer carried out a workplace risk assessment?
- Does the employer have a written OSH policy?
- Does the factory have a functioning OSH committee as required by law?
- Has the employer appointed a trained OSH officer as required?
- Does the employer keep records of work-related accidents and illnesses?
- Did the employer report work-related accidents to the authorities as required?
- Does the employer provide OSH training to workers?
- Does the employer investigate accidents and act to prevent them happening again?
- Are the factory's buildings structurally safe and certified as required?
- Does the employer have valid permits for boilers and pressure vessels?
Chemicals and Hazardous Substances | CH | 0.75
- Are chemicals and hazardous substances properly labelled?
- Does the employer have safety data sheets in the local language for all chemicals?
- Are chemicals stored safely?
- Are workers trained to work safely with chemicals?
- Are workers provided with and using the protective equipment needed for chemicals?
- Are eyewash stations and emergency showers available where chemicals are used?
- Is hazardous waste disposed of properly?
- Has the employer assessed workers' exposure to chemicals and dust?
- Are chemical containers kept closed when not in use?
- Are flammable materials stored away from sources of ignition?
Worker Protection | WP | 0.8
* Are machines equipped with operating point guards?
* Are needle guards and pulley covers installed on sewing machines?
* Are workers provided with the personal protective equipment they need?
- Do workers use the personal protective equipment provided?
- Are electrical wires, switches and plugs properly installed, grounded and maintained?
- Are workers protected from exposure to excessive noise?
- Has the employer taken steps to prevent injuries from lifting and repetitive movements?
- Are workers provided with suitable seating or anti-fatigue mats?
- Are pregnant and nursing workers protected from hazardous work?
- Are maintenance workers protected by lock-out and tag-out procedures?
Working Environment | WE | 0.62
- Is the temperature in the workplace acceptable?
- Is the workplace adequately ventilated?
- Is the workplace adequately lit?
- Is the noise level in the workplace within legal limits?
- Is the workplace clean and tidy?
- Has the employer measured the working environment as required by law?
- Are workers adequately protected from dust and fibres?
- Are walkways kept clear and marked?
Health Services and First Aid | HS | 0.7
- Are there enough first aid boxes and are they properly stocked?
- Are there enough workers trained in first aid?
- Does the factory have a clinic or health staff as required by law?
- Does the employer provide the required medical check-ups for workers?
- Are workers told the results of their medical examinations?
- Is there a plan to take injured workers to hospital?
- Does the employer provide health checks for workers exposed to hazards?
- Is the factory clinic equipped and staffed as required?
Welfare Facilities | WF | 0.4
- Does the employer provide enough toilets, separate for men and women?
- Are toilets clean and accessible?
- Does the employer provide enough safe drinking water?
- Does the employer provide an adequate place to eat?
- Does the employer provide a childcare facility or lactation room as required?
- Does the employer provide adequate hand washing facilities and soap?
- Are workers allowed to use the toilet and drink water when they need?
- Does the canteen meet hygiene requirements?
Worker Accommodation | WA | 0.45
- Are dormitories safe from fire and other hazards?
- Do dormitories have enough space, light and ventilation?
- Do dormitories have enough clean toilets and showers?
- Are dormitories separate for men and women and secure?
- Do workers living in dormitories have safe drinking water?
- Are the emergency exits in dormitories unlocked and marked?
- Is the food provided to workers in dormitories safe and sufficient?
Emergency Preparedness | EP | 0.78
* Are emergency exits unlocked and accessible during working hours?
* Does the workplace have a fire detection and alarm system?
* Has the employer conducted periodic emergency drills?
- Are there enough emergency exits?
- Are emergency exits and escape routes clearly marked?
- Are aisles and exits kept free of obstructions?
* Does the workplace have adequate fire-fighting equipment?
- Are workers trained to use fire-fighting equipment?
- Is there emergency lighting in production areas?
- Does the employer have a valid fire safety certificate?
- Are evacuation plans posted in the workplace?
Regular Hours | RH | 0.3
- Do regular working hours exceed the legal limit?
- Do workers receive the weekly rest day required by law?
- Does the employer keep accurate time records?
- Are there accurate records of the working hours of piece-rate workers?
- Do workers receive the breaks required by law?
- Does the employer comply with the law on night work?
Overtime | OV | 0.65
* Does overtime exceed the legal daily limit?
* Does overtime exceed the legal weekly or monthly limit?
* Does overtime exceed the legal annual limit?
- Is overtime voluntary?
- Is overtime work exceptional?
- Did the employer obtain the permits required to work overtime?
- Does overtime exceed two hours a day?
- Did the employer obtain workers' consent before overtime as required?
Leave | LV | 0.3
- Did the employer give workers the annual leave they are entitled to?
- Did the employer give workers the maternity leave they are entitled to?
- Did the employer give workers the sick leave they are entitled to?
- Did the employer give workers public holidays off as required?
- Did the employer give workers the special leave the law requires?
- Are workers allowed to take leave when they ask for it as the law requires?
"""

# Fact-gathering questions: label | compliance point | the fact they gather.
_FGW_TEXT = """
How many workers does the factory employ? | Employment Contracts | workers
How many of the workers are women? | Gender | women
How many of the workers are migrant workers? | Race and Origin | migrants
How many workers are under 18 years old? | Documentation and Protection of Young Workers | young
How many workers are on fixed-term contracts? | Employment Contracts | fixed_term
How many workers are members of a union? | Freedom to Associate | union
Is a collective bargaining agreement in force? | Collective Bargaining | agreement
What is the lowest monthly wage paid, in local currency? | Minimum Wages/Piece Rate Wages | wage
What was the longest working week in the last 12 months, in hours? | Overtime | week
How many workers are employed through agencies? | Contracting Procedures | agency
How many workers with disabilities does the factory employ? | Other Grounds | disabled
How many production buildings does the factory have? | OSH Management Systems | buildings
What is the factory's main product? | Contracting Procedures | product
How many work accidents were recorded in the last 12 months? | OSH Management Systems | accidents
How many workers took maternity leave in the last 12 months? | Leave | maternity
"""

# name, code, factories among 2,000, median workers, share of women, share of migrants,
# lowest monthly wage in 2024 (local currency), usual longest working week (hours),
# non-compliance above the usual picture (log-odds), weekday without assessments (Monday 0)
_COUNTRY_FIGURES = (
    ("Bangladesh", "BD", 420, 2200, 0.55, 0.00, 12_500, 62, 0.2, 4),
    ("Cambodia", "KH", 520, 900, 0.80, 0.00, 204, 60, 0.1, 6),
    ("Egypt", "EG", 45, 1100, 0.45, 0.02, 3_500, 56, 0.1, 4),
    ("Ethiopia", "ET", 35, 1500, 0.85, 0.00, 2_500, 54, 0.1, 6),
    ("Haiti", "HT", 25, 1800, 0.65, 0.00, 17_000, 52, 0.3, 6),
    ("Indonesia", "ID", 250, 1600, 0.80, 0.00, 4_900_000, 58, 0.1, 6),
    ("Jordan", "JO", 80, 900, 0.65, 0.70, 260, 66, 0.1, 4),
    ("Nicaragua", "NI", 25, 1400, 0.55, 0.00, 7_000, 54, -0.6, 6),
    ("Pakistan", "PK", 60, 1800, 0.20, 0.00, 32_000, 60, 0.2, 6),
    ("Sri Lanka", "LK", 60, 1200, 0.75, 0.00, 21_000, 55, -0.3, 6),
    ("Vietnam", "VN", 480, 1300, 0.75, 0.00, 4_680_000, 60, 0.1, 6),
)
_DORMITORIES = {"Jordan", "Ethiopia", "Egypt"}  # the countries whose CAT asks about them

# By country code: words of factory names (lead, stem, suffix), advisors, CP rates that differ
# from the usual picture (synthesis reports), and question shares (how often a question is found
# when its CP is non-compliant, where a synthesis reports the question's rate).
_COUNTRY_WORDS = """
* leads: Golden; Evergreen; Grand; New; Royal; Star; Pacific; Eastern; Jade; Lucky; Silver; Sun
BD stems: Dhaka; Gazipur; Ashulia; Savar; Narayanganj; Chattogram; Padma; Meghna; Jamuna
BD stems: Sonar Bangla; Rupali; Shapla; Karnaphuli; Tongi; Konabari
BD suffixes: Apparels Ltd.; Knit Composite Ltd.; Fashions Ltd.; Sweaters Ltd.; Garments Ltd.
BD suffixes: Knitwear Ltd.; Denim Ltd.
BD advisors: Farhana Akter; Mohammad Rahman; Nusrat Jahan; Tanvir Hossain; Shirin Sultana
BD advisors: Kamrul Islam; Rokeya Begum; Arif Chowdhury; Sabina Yasmin; Mahmudul Hasan
BD rates: Worker Protection=0.88; Emergency Preparedness=0.85; Paid Leave=0.55
BD rates: Interference and Discrimination=0.45; Documentation and Protection of Young Workers=0.12
KH stems: Angkor; Mekong; Bayon; Tonle Sap; Kampong Speu; Kandal; Phnom Penh; Takhmao
KH stems: Chbar Ampov; Sihanoukville; Bavet; Prey Veng; Kampot; Svay Rieng
KH suffixes: Garment Co., Ltd.; Apparel (Cambodia) Co., Ltd.; Knitting Factory Co., Ltd.
KH suffixes: Textile Co., Ltd.; Fashion Co., Ltd.; Footwear Co., Ltd.
KH advisors: Sok Chanthy; Chea Sophal; Heng Sreymom; Kim Dara; Lim Sovann; Chan Pisey
KH advisors: Meas Rithy; Ouk Sreyneang; Prak Vuthy; Seng Bopha
KH rates: Overtime=0.96; Regular Hours=0.45; Employment Contracts=0.55
KH rates: Interference and Discrimination=0.35
KH shares: Is overtime work exceptional?=0.97; Does overtime exceed two hours a day?=0.78
EG stems: Cairo; Alexandria; Delta; Nile; Tenth of Ramadan; Sadat City; Port Said; Obour
EG stems: Giza; Mahalla
EG suffixes: Textile Co.; Garments S.A.E.; Apparel Industries; Knitting Co.; Fashion Industries
EG advisors: Mona Abdel Aziz; Ahmed Hassan; Rania Mostafa; Karim Fathy; Heba Mahmoud
ET stems: Hawassa; Bole Lemi; Addis; Kombolcha; Mekelle; Adama; Dire Dawa; Abay; Entoto
ET suffixes: Garment PLC; Apparel Manufacturing PLC; Textile PLC; Knitting PLC
ET advisors: Hiwot Tesfaye; Dawit Bekele; Selam Girma; Yonas Alemu; Meron Haile
ET rates: Chemicals and Hazardous Substances=0.85; Overtime Wages=0.45
HT stems: Caracol; Sonapi; Port-au-Prince; Ouanaminthe; Artibonite; Croix-des-Bouquets
HT stems: Delmas; Pétion-Ville; Cap-Haïtien; Tabarre
HT suffixes: Apparel S.A.; Textile S.A.; Manufacturing S.A.; Garments S.A.
HT advisors: Marie-Claude Joseph; Jean-Robert Pierre; Nadège Charles; Wilson Étienne
HT rates: Minimum Wages/Piece Rate Wages=0.85; Overtime Wages=0.6; Welfare Facilities=0.6
HT rates: Social Security and Other Benefits=0.65
ID leads: PT Sinar; PT Cahaya; PT Mulia; PT Karya; PT Bintang; PT Surya; PT Tunas; PT Mitra
ID stems: Abadi; Jaya; Makmur; Sentosa; Prima; Indah; Perkasa; Lestari; Mandiri; Utama
ID suffixes: Busana; Garmindo; Apparel; Textile; Fashion; Sandang
ID advisors: Siti Rahayu; Budi Santoso; Dewi Lestari; Agus Setiawan; Rina Wulandari
ID advisors: Hendra Gunawan; Putri Anggraini; Eko Prasetyo; Wahyu Hidayat; Ratna Sari
ID rates: Employment Contracts=0.8; Social Security and Other Benefits=0.6; Overtime=0.75
JO stems: Al Hassan; Dulayl; Sahab; Irbid; Zarqa; Tajamouat; Mafraq; Madaba; Karak; Ramtha
JO suffixes: Apparel Co.; Garments Manufacturing; Textile Industries; Fashion Co.; Knitwear LLC
JO advisors: Rania Al-Khatib; Omar Haddad; Lina Nasser; Khaled Al-Zoubi; Dana Saleh
JO rates: Overtime=0.8; Worker Accommodation=0.6; Coercion=0.1; Employment Contracts=0.6
NI stems: Managua; Masaya; Tipitapa; Ciudad Sandino; León; Granada; Las Mercedes; Chinandega
NI suffixes: Textiles S.A.; Apparel S.A.; Manufacturing S.A.; Confecciones S.A.
NI advisors: María José López; Carlos Martínez; Ana Lucía Gutiérrez; José Ramón Pérez
PK stems: Lahore; Faisalabad; Karachi; Sialkot; Multan; Gujranwala; Kasur; Sheikhupura; Indus
PK stems: Ravi; Chenab; Korangi
PK suffixes: Textile Mills Ltd.; Apparel (Pvt.) Ltd.; Knitwear (Pvt.) Ltd.; Denim Mills Ltd.
PK advisors: Ayesha Khan; Muhammad Ali; Sana Iqbal; Imran Qureshi; Fatima Malik; Bilal Ahmed
PK rates: Minimum Wages/Piece Rate Wages=0.45; Social Security and Other Benefits=0.8
PK rates: Employment Contracts=0.7
LK stems: Katunayake; Biyagama; Koggala; Kandy; Horana; Negombo; Avissawella; Polgahawela
LK stems: Ratmalana; Seethawaka; Kurunegala; Galle
LK suffixes: Apparel (Pvt) Ltd.; Garments (Pvt) Ltd.; Clothing (Pvt) Ltd.; Intimates (Pvt) Ltd.
LK advisors: Nadeesha Perera; Kasun Fernando; Dilani Jayasinghe; Chaminda Silva; Ishara Silva
VN stems: Saigon; Hanoi; Dong Nai; Binh Duong; Long An; Hai Phong; Nam Dinh; Thai Binh
VN stems: Phu Tho; Hung Yen; Tien Giang; Da Nang; Viet Thang; Phong Phu; Hoa Tho; Minh Anh
VN stems: An Phuoc; Tan Thanh; Thanh Cong; Nha Be
VN suffixes: Garment Co., Ltd.; Garment JSC; Textile JSC; Fashion Co., Ltd.; Apparel Co., Ltd.
VN advisors: Nguyen Thi Lan; Tran Van Minh; Le Thi Hoa; Pham Quoc Bao; Hoang Thi Mai
VN advisors: Vu Duc Anh; Dang Thi Thu; Bui Van Hung; Do Thi Ngoc; Ngo Minh Tuan; Ly Van Phuc
VN rates: Interference and Discrimination=0.62; Paid Leave=0.86; Overtime=0.75
VN rates: Social Security and Other Benefits=0.55; OSH Management Systems=0.8
VN rates: Chemicals and Hazardous Substances=0.8
"""

# What Improvement Plan items say: for each CP the usual action; self-diagnosed issues as
# CP | issue | action.
_ACTIONS_TEXT = """
Child Labourers | Check every worker's age against documents; remediate any child found
Hazardous Work and other Worst Forms | Move workers under 18 out of hazardous tasks and night work
Unconditional Worst Forms | Remove the children and refer them to child protection services
Documentation and Protection of Young Workers | Keep a register of young workers with age proof
Gender | Adopt an anti-discrimination and anti-harassment policy; train supervisors
Race and Origin | Align the pay and conditions of migrant workers with those of local workers
Religion and Political Opinion | Remove questions on religion and politics from hiring forms
Other Grounds | Review hiring and pay decisions for discrimination
Coercion | Return identity documents to workers and end penalties for resigning
Bonded Labour | Reimburse recruitment fees and review the terms of loans to workers
Prison Labour | End the use of prison labour and check subcontractors
Forced Labour and Overtime | Make overtime voluntary and end penalties for refusing it
Freedom to Associate | Tell workers in writing that they are free to join the union they choose
Union Operations | Agree facilities and time off for union representatives
Interference and Discrimination | End management involvement in union affairs; train managers
Collective Bargaining | Negotiate with the union in good faith and apply the agreement
Strikes | Reinstate the workers punished for a legal strike
Minimum Wages/Piece Rate Wages | Adjust piece rates and pay arrears up to the minimum wage
Overtime Wages | Correct the overtime premium in payroll and pay the arrears
Premium Pay | Pay the night-work and bonus premiums and the arrears
Method of Payment | Pay wages on the legal pay day and final wages on time
Wage Information, Use and Deduction | Issue accurate pay slips and stop unlawful deductions
Paid Leave | Calculate and pay annual leave and holiday pay correctly
Social Security and Other Benefits | Register all workers for social security and pay arrears
Contracting Procedures | Review the use of short-term, probation and agency contracts
Employment Contracts | Issue written contracts with the legal terms to every worker
Termination | Follow the legal notice and severance rules for every termination
Dialogue, Discipline and Disputes | Set up a grievance procedure and train supervisors
OSH Management Systems | Carry out a risk assessment and make the OSH committee work
Chemicals and Hazardous Substances | Label chemicals, post safety data sheets and train workers
Worker Protection | Install machine guards and provide protective equipment
Working Environment | Measure heat, light and noise and fix the areas over the limits
Health Services and First Aid | Restock first aid boxes and train first aiders on every shift
Welfare Facilities | Repair toilets and provide safe drinking water on every floor
Worker Accommodation | Repair dormitory fire safety and sanitation
Emergency Preparedness | Keep exits unlocked and clear, and hold an evacuation drill
Regular Hours | Record real working hours and give the weekly rest day
Overtime | Plan production to keep overtime within the legal limits
Leave | Grant leave as the law requires and record it
"""
_SELF_DIAGNOSIS_TEXT = """
Emergency Preparedness | Fire extinguishers on the second floor are past inspection | Inspect all
Chemicals and Hazardous Substances | The chemical store has no spill kit | Buy a spill kit
Welfare Facilities | Too few drinking water points on the cutting floor | Add two water points
Working Environment | The ironing section is too hot in the afternoon | Install fans
Dialogue, Discipline and Disputes | Workers do not use the suggestion box | Explain it at meetings
OSH Management Systems | OSH committee minutes are not shared | Post them on the notice board
Health Services and First Aid | No trained first aider on the night shift | Train two first aiders
Wage Information, Use and Deduction | Pay slips do not show overtime hours | Change the template
Regular Hours | Supervisors fill in the time cards of finishing | Install a fingerprint clock
Worker Protection | Operators remove needle guards to work faster | Refit guards; brief leaders
Gender | No anti-harassment policy in the local language | Adopt and translate a policy
Employment Contracts | Contract templates predate the new labour code | Update the templates
"""

# Other words, by what they are for.
_WORDS = """
products: Knitted tops; Woven shirts; Jeans; Sweaters; Outerwear; Sportswear; Lingerie
products: Trousers; Dresses; Children's wear; Footwear; Bags
brands: Northwind; Bluefin; Harbor Lane; Urban Thread; Solstice; Kestrel; Juniper; Riverton
brands: Atlas; Marlow; Cedar & Pine; Fjord; Lumen; Copperfield; Meridian; Halcyon; Wren
brands: Tidewater; Alder; Summit Ridge; Brightwell; Oakhurst; Saltmarsh; Larkspur; Vela
brand_kinds: Apparel; Outdoor; Sport; Denim; Kids; Workwear; Basics; Collective; Clothing Co.
brand_kinds: Retail Group; Fashion; Athletics
Child_Labour: HR Manager; Compliance Manager
Discrimination: HR Manager; Compliance Manager; General Manager
Forced_Labour: HR Manager; General Manager
Freedom_of_Association_and_Collective_Bargaining: General Manager; HR Manager
Compensation: Finance Manager; HR Manager; Payroll Officer
Contracts_and_Human_Resources: HR Manager; Admin Manager
Occupational_Safety_and_Health: OSH Officer; Maintenance Manager; Compliance Manager
Working_Time: Production Manager; HR Manager; Planning Manager
root_causes: Managers did not know the legal requirement; No written procedure
root_causes: Nobody was responsible for it; Production pressure from short lead times
root_causes: The budget was not approved; Records kept by hand and never checked
root_causes: Supervisors not trained
item_notes: ; ; ; Discussed at the last PICC meeting; Buyer asked for an update
item_notes: Needs approval from head office
start_notes: PICC agreed the action and work started; Responsible manager assigned
start_notes: Action discussed on the advisory visit; Quotation received from the supplier
done_notes: Checked on the advisory visit: fixed; Evidence seen: updated records
done_notes: Photos of the fix shared with the advisor; PICC confirmed the fix at its meeting
waiting_notes: Reminder sent to the responsible manager; Waiting for head office approval
waiting_notes: Not discussed yet: PICC meeting postponed
visit_people: HR Manager; Compliance Manager; Factory Manager; OSH Officer
visit_people: Worker representative; Union representative
visit_topics: Self-diagnosis follow-up; Preparing for the next assessment; Grievance handling
visit_topics: Training needs; Progress Report review
picc_topics: Review of the Improvement Plan; Election of worker representatives
picc_topics: Workers' complaints; Training plan; Canteen and transport
follow_ups: ; Send updated payroll records; Check the fire exits on the next visit
follow_ups: HR to share the new contract template; Schedule supervisor training
follow_ups: PICC to meet again within a month
"""
_ROMAN = ("II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


# -- reading the tables above ---------------------------------------------------------------


def _table(text: str) -> list[list[str]]:
    """The lines of an "a | b | c" table as lists of cells."""
    return [[cell.strip() for cell in line.split(" | ")] for line in text.strip().splitlines()]


def _word_lists(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """Lines "KEY field: a; b" (KEY optional) as {(KEY, field): (a, b, ...)}, repeats joined."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        head, _, words = line.partition(": ")
        key, _, field = head.rpartition(" ")
        out[(key, field)] = out.get((key, field), ()) + tuple(w.strip() for w in words.split(";"))
    return out


def _numbers(words: tuple[str, ...]) -> dict[str, float]:
    """Words "name=0.5" as {name: 0.5}."""
    return {name: float(value) for name, _, value in (w.rpartition("=") for w in words)}


def _parse_cat() -> tuple[list[tuple[str, ...]], dict[str, float]]:
    """The questions of the CAT (spelling and fact kind) and each CP's usual rate."""
    rows: list[tuple[str, ...]] = []
    usual: dict[str, float] = {}
    cp = code = ""
    number = 0
    for line in _NCQ_TEXT.strip().splitlines():
        if line[:2] not in ("- ", "* "):
            cp, code, rate = (cell.strip() for cell in line.split(" | "))
            usual[cp], number = float(rate), 0
            continue
        number += 1
        cluster = CLUSTER_OF[cp]
        tags = PUBLIC_DISCLOSURE if line[0] == "*" else ""
        qid = f"{CLUSTER_CODES[cluster]}.{code}.{number:02d}"
        rows.append((qid, line[2:], cp, cluster, QuestionType.NCQ.value, tags, ""))
    for number, (label, cp, kind) in enumerate(_table(_FGW_TEXT), 1):
        cluster = CLUSTER_OF[cp]
        rows.append((f"FGW.{number:02d}", label, cp, cluster, QuestionType.FGW.value, "", kind))
    return rows, usual


QUESTIONS, USUAL_RATES = _parse_cat()
WORDS = {field: words for (_, field), words in _word_lists(_WORDS).items()}
ACTIONS = {cp: action for cp, action in _table(_ACTIONS_TEXT)}
SELF_DIAGNOSIS = [tuple(row) for row in _table(_SELF_DIAGNOSIS_TEXT)]


@dataclass(frozen=True)
class Country:
    """A programme country and what its part of the portfolio is drawn from."""

    name: str
    code: str
    factories: int  # among 2,000
    median_workers: int
    women: float
    migrants: float
    wage: int
    week: int
    shift: float
    rest_day: int
    leads: tuple[str, ...]
    lead_share: float  # of factory names that start with a lead word
    stems: tuple[str, ...]
    suffixes: tuple[str, ...]
    advisors: tuple[str, ...]
    rates: dict[str, float]
    shares: dict[str, float]


def _countries() -> tuple[Country, ...]:
    words = _word_lists(_COUNTRY_WORDS)
    out = []
    for figures in _COUNTRY_FIGURES:
        code = figures[1]
        own = (code, "leads") in words
        out.append(
            Country(
                *figures,
                leads=words[(code if own else "*", "leads")],
                lead_share=1.0 if own else 0.35,
                stems=words[(code, "stems")],
                suffixes=words[(code, "suffixes")],
                advisors=words[(code, "advisors")],
                rates=_numbers(words.get((code, "rates"), ())),
                shares=_numbers(words.get((code, "shares"), ())),
            )
        )
    return tuple(out)


COUNTRIES = _countries()


# -- fact-gathering answers -----------------------------------------------------------------


@dataclass
class _Facts:
    """What the fact-gathering answers of a block of assessments are drawn from."""

    rng: np.random.Generator
    workers: np.ndarray
    women: np.ndarray
    migrants: np.ndarray
    wage: np.ndarray
    week: np.ndarray
    buildings: np.ndarray
    product: np.ndarray

    def uniform(self, low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, len(self.workers))


def _count(x: np.ndarray) -> np.ndarray:
    return np.round(x).astype(np.int64)


def _money(x: np.ndarray) -> np.ndarray:
    """Amounts rounded to three significant digits."""
    unit = 10.0 ** (np.floor(np.log10(x)) - 2)
    return _count(np.round(x / unit) * unit)


_FACT_DRAWS: dict[str, Callable[[_Facts], np.ndarray]] = {
    "workers": lambda f: _count(f.workers),
    "women": lambda f: _count(f.workers * f.women),
    "migrants": lambda f: _count(f.workers * f.migrants * f.uniform(0.6, 1.2)),
    "young": lambda f: f.rng.poisson(0.3, len(f.workers)),
    "fixed_term": lambda f: _count(f.workers * f.rng.beta(1.2, 3.0, len(f.workers))),
    "union": lambda f: _count(f.workers * f.uniform(0, 0.6) * (f.uniform(0, 1) < 0.5)),
    "agreement": lambda f: np.where(f.uniform(0, 1) < 0.3, "Yes", "No"),
    "wage": lambda f: _money(f.wage * f.uniform(1.0, 1.15)),
    "week": lambda f: _count(np.clip(f.week + f.rng.normal(0, 5, len(f.workers)), 48, 84)),
    "agency": lambda f: _count(f.workers * f.uniform(0, 0.1) * (f.uniform(0, 1) < 0.4)),
    "disabled": lambda f: f.rng.poisson(f.workers * 0.004),
    "buildings": lambda f: f.buildings,
    "product": lambda f: f.product,
    "accidents": lambda f: f.rng.poisson(f.workers / 500),
    "maternity": lambda f: f.rng.poisson(f.workers * f.women * 0.03),
}


# -- helpers --------------------------------------------------------------------------------


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _cycle_one(latest: float) -> float:
    """Cycle-1 log-odds at which factories, at their usual latest cycle, average `latest`."""
    target = 1 / (1 + math.exp(-latest))
    later = DECAY * sum(k * share for k, share in enumerate(CYCLE_SHARES))
    nodes, weights = np.polynomial.hermite_e.hermegauss(24)  # for expectations over N(0, 1)
    spread = math.hypot(*EFFECTS) * nodes
    low, high = -15.0, 15.0
    for _ in range(40):
        mid = (low + high) / 2
        mean = weights @ (1 / (1 + np.exp(-(mid - later + spread)))) / weights.sum()
        low, high = (mid, high) if mean < target else (low, mid)
    return (low + high) / 2


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Factories per country: one each when there are enough, the rest by weight."""
    floor = np.full(len(weights), 1 if total >= len(weights) else 0)
    share = weights / weights.sum() * (total - floor.sum())
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: total - floor.sum() - counts.sum()]] += 1
    return floor + counts


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _factory_names(rng: np.random.Generator, country: Country, n: int) -> list[str]:
    """Local-sounding names; a repeated name gets a numeral, as sister factories' names do."""
    leads, stems = _pick(rng, country.leads, n), _pick(rng, country.stems, n)
    suffixes = _pick(rng, country.suffixes, n)
    with_lead = rng.random(n) < country.lead_share
    seen: dict[str, int] = {}
    names = []
    for lead, stem, suffix, led in zip(leads, stems, suffixes, with_lead, strict=True):
        base = f"{lead} {stem}" if led else stem
        k = seen.get(f"{base} {suffix}", 0)
        seen[f"{base} {suffix}"] = k + 1
        numeral = "" if k == 0 else f" {_ROMAN[k - 1]}" if k <= len(_ROMAN) else f" {k + 1}"
        names.append(f"{base}{numeral} {suffix}")
    return names


def _where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values where the mask holds and None elsewhere, as an object array."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


# -- the portfolio --------------------------------------------------------------------------


class _Portfolio:
    """A synthetic portfolio, drawn part by part from one seeded random generator."""

    def __init__(self, factories: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.horizon = (AS_OF - FIRST_DAY).days
        # Day numbers (from FIRST_DAY) as dates, far enough ahead for due dates.
        self.days = np.array(
            [FIRST_DAY + dt.timedelta(days=d) for d in range(self.horizon + 400)], dtype=object
        )
        self.catalogue = self._catalogue()
        self.asked = self._asked()
        self.factories = self._factories(factories)
        self.assessments = self._assessments()
        self.odds = self._odds()
        self.shares = self._shares()
        self.effects = self._effects()
        self.found_latest: dict[int, np.ndarray] = {}  # factory -> questions found on its latest

    # -- the catalogue ---------------------------------------------------------------------

    def _catalogue(self) -> pd.DataFrame:
        """The questions, as the current CAT and then the older one spell them."""
        q = pd.DataFrame(QUESTIONS, columns=[*SPELLING, "fact_kind"])
        q["cp_index"] = q["compliance_point"].map({cp: i for i, cp in enumerate(CPS)})
        q["ncq"] = q["question_type"] == QuestionType.NCQ.value
        q["public_disclosure"] = q["tags"] == PUBLIC_DISCLOSURE
        # How often a question is the one found when its CP is non-compliant, and how often it
        # is found besides that one.
        q["weight"] = self.rng.lognormal(0.0, 0.7, len(q))
        q["share"] = self.rng.uniform(0.03, 0.25, len(q))
        self.cp_questions = [
            np.flatnonzero(q["ncq"] & (q["cp_index"] == j)) for j in range(len(CPS))
        ]
        old = q[SPELLING].copy()  # the older CAT's quirks
        old["cluster"] = old["cluster"].replace({OSH: "Systems"})
        old["compliance_point"] = old["compliance_point"].replace(
            {MERGED_HAZARDOUS_CP: "Hazardous Work"}
        )
        both = pd.concat([q[SPELLING], old], ignore_index=True)
        self.spellings = {c: both[c].to_numpy(object) for c in SPELLING}
        return q

    def _asked(self) -> np.ndarray:
        """Which questions each country's CAT asks (country x question)."""
        q = self.catalogue
        first = q.groupby("compliance_point").cumcount().to_numpy() == 0
        kept = first | q["public_disclosure"].to_numpy() | (q["fact_kind"] == "workers").to_numpy()
        asked = (self.rng.random((len(COUNTRIES), len(q))) >= 0.05) | kept
        dormitories = (q["compliance_point"] == "Worker Accommodation").to_numpy()
        for i, country in enumerate(COUNTRIES):
            if country.name not in _DORMITORIES:
                asked[i, dormitories] = False
        self.asked_index = [np.flatnonzero(row) for row in asked]
        return asked

    # -- factories and assessments ---------------------------------------------------------

    def _factories(self, count: int) -> pd.DataFrame:
        sizes = _allocate(count, np.array([c.factories for c in COUNTRIES], dtype=float))
        parts = []
        for i, (country, n) in enumerate(zip(COUNTRIES, sizes, strict=True)):
            if n == 0:
                continue
            width = max(4, len(str(n)))
            workers = self.rng.lognormal(math.log(country.median_workers), 0.6, n)
            team = len(country.advisors)
            advisor = self.rng.integers(0, max(1, min(team, math.ceil(n / 30))), n)
            parts.append(
                pd.DataFrame(
                    {
                        "factory_id": [f"{country.code}{k:0{width}d}" for k in range(1, n + 1)],
                        "factory_name": _factory_names(self.rng, country, n),
                        "country_index": i,
                        "country": country.name,
                        "workers": np.clip(workers, 200, 8000).round().astype(int),
                        "advisor": [country.advisors[k] for k in advisor],
                        "colleague": [country.advisors[(k + 1) % team] for k in advisor],
                        "buildings": 1 + self.rng.poisson(1.0, n),
                        "product": _pick(self.rng, WORDS["products"], n),
                    }
                )
            )
        f = pd.concat(parts, ignore_index=True)
        f["obsolete"] = self.rng.random(len(f)) < 0.02
        f.loc[f["obsolete"], "factory_name"] += " (Obsolete)"
        return f

    def _assessments(self) -> pd.DataFrame:
        """Yearly assessments, cycles 1..k (k at most 6); Quest.ID grows with the start date."""
        n = len(self.factories)
        retired = self.factories["obsolete"].to_numpy()
        left = ~retired & (self.rng.random(n) < 0.15)  # left the programme a while ago
        # The day of each factory's last assessment: within the last year for most of them.
        last = self.horizon - self.rng.uniform(0, 365, n)
        last[left] = self.rng.uniform(540, self.horizon - 365, n)[left]
        last[retired] = self.rng.uniform(200, (dt.date(2024, 1, 1) - FIRST_DAY).days, n)[retired]
        k = 1 + self.rng.choice(len(CYCLE_SHARES), n, p=CYCLE_SHARES)
        gaps = self.rng.normal(365, 35, (n, 5)).clip(290, 460)
        before = np.concatenate([gaps[:, ::-1].cumsum(axis=1)[:, ::-1], np.zeros((n, 1))], axis=1)
        days = (last[:, None] - before).astype(int)  # six yearly slots ending at `last`
        valid = (np.arange(6) >= 6 - k[:, None]) & (days >= 0)
        factory, slot = np.nonzero(valid)
        day = days[factory, slot]
        cycle = slot - np.argmax(valid, axis=1)[factory] + 1
        country = self.factories["country_index"].to_numpy()[factory]
        rest_day = np.array([c.rest_day for c in COUNTRIES])[country]
        day = day - ((FIRST_DAY.weekday() + day) % 7 == rest_day)  # not on the weekly rest day
        quest = np.empty(len(day), dtype=np.int64)
        quest[np.lexsort((factory, day))] = 10_000 + np.cumsum(self.rng.integers(1, 4, len(day)))
        switch = self.rng.integers(60, 640, len(COUNTRIES))  # when each country left the old CAT
        frame = pd.DataFrame(
            {
                "quest_id": quest,
                "factory": factory,
                "country_index": country,
                "cycle": cycle,
                "day": day,
                "legacy": day < switch[country],
                "latest": slot == 5,
            }
        )
        return frame.sort_values("quest_id", ignore_index=True)

    # -- findings --------------------------------------------------------------------------

    def _odds(self) -> np.ndarray:
        """Cycle-1 log-odds of non-compliance, before factory effects (country x CP)."""
        odds = np.empty((len(COUNTRIES), len(CPS)))
        for i, country in enumerate(COUNTRIES):
            for j, cp in enumerate(CPS):
                own = country.rates.get(cp)
                usual = _logit(USUAL_RATES[cp]) + country.shift
                odds[i, j] = _cycle_one(_logit(own) if own is not None else usual)
        return odds

    def _shares(self) -> np.ndarray:
        """How often each question is found when its CP is non-compliant (country x question)."""
        shares = np.tile(self.catalogue["share"].to_numpy(), (len(COUNTRIES), 1))
        labels = self.catalogue["question_label"].tolist()
        for i, country in enumerate(COUNTRIES):
            for label, share in country.shares.items():
                shares[i, labels.index(label)] = share
        return shares

    def _effects(self) -> np.ndarray:
        """Each factory's own log-odds of non-compliance on each CP (factory x CP)."""
        n = len(self.factories)
        clusters = list(COMPLIANCE_POINTS)
        cluster = np.array([clusters.index(CLUSTER_OF[cp]) for cp in CPS])
        overall = self.rng.normal(0, EFFECTS[0], (n, 1))
        by_cluster = self.rng.normal(0, EFFECTS[1], (n, len(clusters)))[:, cluster]
        return overall + by_cluster + self.rng.normal(0, EFFECTS[2], (n, len(CPS)))

    def _found(self, block: pd.DataFrame) -> np.ndarray:
        """Which questions each assessment of a block finds non-compliant (assessment x NCQ)."""
        q = self.catalogue
        country, factory = block["country_index"].to_numpy(), block["factory"].to_numpy()
        later = DECAY * (block["cycle"].to_numpy() - 1)
        odds = self.odds[country] + self.effects[factory] - later[:, None]
        cp_found = self.rng.random(odds.shape) < 1 / (1 + np.exp(-odds))
        # A non-compliant CP has one question found, drawn by weight, and maybe others.
        keys = self.rng.exponential(size=(len(block), len(q))) / q["weight"].to_numpy()
        keys[~self.asked[country]] = np.inf
        found = self.rng.random(keys.shape) < self.shares[country]
        rows = np.arange(len(block))
        for cols in self.cp_questions:
            found[rows, cols[np.argmin(keys[:, cols], axis=1)]] = True
        asked = self.asked[country] & q["ncq"].to_numpy()
        return found & cp_found[:, q["cp_index"].to_numpy()] & asked

    def _facts(self, block: pd.DataFrame) -> np.ndarray:
        """The fact-gathering answers of a block (assessment x FGW question), as text."""
        f = self.factories.iloc[block["factory"].to_numpy()]
        country = [COUNTRIES[i] for i in block["country_index"]]
        n = len(block)
        year = FIRST_DAY.year + block["day"].to_numpy() / 365.25
        women = np.array([c.women for c in country]) + self.rng.normal(0, 0.07, n)
        facts = _Facts(
            self.rng,
            workers=np.maximum(50, f["workers"].to_numpy() * self.rng.lognormal(0, 0.08, n)),
            women=np.clip(women, 0.1, 0.97),
            migrants=np.array([c.migrants for c in country]),
            wage=np.array([c.wage for c in country]) * 1.06 ** (year - 2024),
            week=np.array([c.week for c in country], dtype=float),
            buildings=f["buildings"].to_numpy(),
            product=f["product"].to_numpy(),
        )
        kinds = self.catalogue.loc[~self.catalogue["ncq"], "fact_kind"]
        return np.column_stack([_FACT_DRAWS[k](facts).astype(str) for k in kinds]).astype(object)

    def finding_chunks(self) -> Iterator[pd.DataFrame]:
        """The assessments as typed export chunks of about CHUNK_ROWS rows, oldest first."""
        a = self.assessments
        sizes = self.asked.sum(axis=1)[a["country_index"].to_numpy()]
        blocks = (np.cumsum(sizes) - 1) // CHUNK_ROWS
        row = 2  # as in an export file, whose header is row 1
        for _, block in a.groupby(blocks, sort=True):
            chunk = self._chunk(block.reset_index(drop=True), row)
            row += len(chunk)
            yield chunk

    def _chunk(self, block: pd.DataFrame, first_row: int) -> pd.DataFrame:
        """One block of assessments in the shape of a validated export chunk."""
        q = self.catalogue
        country = block["country_index"].to_numpy()
        found, facts = self._found(block), self._facts(block)
        for i in np.flatnonzero(block["latest"].to_numpy()):
            self.found_latest[int(block["factory"].iat[i])] = np.flatnonzero(found[i])
        question = np.concatenate([self.asked_index[c] for c in country])
        a = np.repeat(np.arange(len(block)), self.asked.sum(axis=1)[country])
        spelling = question + block["legacy"].to_numpy()[a] * len(q)
        ncq = q["ncq"].to_numpy()
        fgw = ~ncq[question]
        fact = np.full(len(question), None, dtype=object)
        fact[fgw] = facts[a[fgw], (np.cumsum(~ncq) - 1)[question[fgw]]]
        f = self.factories.iloc[block["factory"].to_numpy()]
        frame = pd.DataFrame(
            {
                "row": np.arange(first_row, first_row + len(question), dtype=np.int64),
                "country": f["country"].to_numpy(object)[a],
                "cycle": block["cycle"].to_numpy(np.int64)[a],
                "factory_id": f["factory_id"].to_numpy(object)[a],
                "factory_name": f["factory_name"].to_numpy(object)[a],
                "quest_id": block["quest_id"].to_numpy(np.int64)[a],
                "start_date": self.days[block["day"].to_numpy()][a],
                **{c: self.spellings[c][spelling] for c in SPELLING},
                "finding": pd.arrays.IntegerArray(found[a, question].astype(np.int8), fgw),
                "fact": fact,
            }
        )
        text = ["country", "factory_id", "factory_name", *SPELLING, "fact"]
        return frame.astype(dict.fromkeys(text, "str"))[CHUNK_COLUMNS]

    # -- partners --------------------------------------------------------------------------

    def partners(self) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """Buyers linked to 5-40 factories, most with consent; one PAC per country."""
        f = self.factories[~self.factories["obsolete"]]
        names = [f"{a} {b}" for a in WORDS["brands"] for b in WORDS["brand_kinds"]]
        order = self.rng.permutation(len(names))
        sizes = f.groupby("country").size()
        partners: list[dict[str, object]] = []
        links: list[dict[str, object]] = []
        for b in range(max(1, round(len(self.factories) / 25)) if len(f) else 0):
            name = names[order[b % len(names)]]
            name += f" {b // len(names) + 1}" if b >= len(names) else ""
            pid = f"BUY{b + 1:03d}"
            partners.append(
                {"partner_id": pid, "partner_name": name, "partner_type": PartnerType.BUYER.value}
            )
            k = min(len(sizes), int(self.rng.integers(1, 4)))  # sources from 1-3 countries
            where = self.rng.choice(sizes.index.to_numpy(), k, replace=False, p=sizes / sizes.sum())
            pool = f.loc[f["country"].isin(where), "factory_id"].to_numpy()
            chosen = self.rng.choice(pool, min(len(pool), int(self.rng.integers(5, 41))), False)
            consent = self.rng.random(len(chosen)) < 0.8
            links += [
                {"partner_id": pid, "factory_id": fid, "consent": bool(yes)}
                for fid, yes in zip(sorted(chosen), consent, strict=True)
            ]
        for country in COUNTRIES:
            ids = f.loc[f["country"] == country.name, "factory_id"]
            if ids.empty:
                continue
            pid = f"PAC-{country.code}"
            partners.append(
                {
                    "partner_id": pid,
                    "partner_name": f"{country.name} Project Advisory Committee",
                    "partner_type": PartnerType.GOVERNANCE.value,
                }
            )
            links += [{"partner_id": pid, "factory_id": fid, "consent": True} for fid in ids]
        return partners, links

    # -- Improvement Plans -----------------------------------------------------------------

    def _plan_rows(self) -> pd.DataFrame:
        """One row per plan item: factory, finding or self-diagnosed issue, and opening day."""
        q, a = self.catalogue, self.assessments[self.assessments["latest"]]
        n = len(self.factories)
        day, quest, legacy = np.zeros(n, int), np.zeros(n, np.int64), np.zeros(n, int)
        factory = a["factory"].to_numpy()
        day[factory], quest[factory] = a["day"].to_numpy(), a["quest_id"].to_numpy()
        legacy[factory] = a["legacy"].to_numpy() * len(q)
        public = q["public_disclosure"].to_numpy()
        labels, cps = q["question_label"].to_numpy(object), q["compliance_point"].to_numpy(object)
        rows: list[tuple[object, ...]] = []
        for i in np.flatnonzero(~self.factories["obsolete"].to_numpy()):
            opened = int(day[i]) + int(self.rng.integers(14, 46))
            if opened > self.horizon:
                continue  # the plan is agreed within about a month of the assessment
            found = self.found_latest.get(int(i), np.array([], dtype=int))
            if len(found) > MAX_ITEMS:  # publicly reported issues first
                others = found[~public[found]]
                room = max(0, MAX_ITEMS - int(public[found].sum()))
                rest = self.rng.choice(others, min(room, len(others)), replace=False)
                found = np.sort(np.concatenate([found[public[found]], rest]))[:MAX_ITEMS]
            for k in found:
                cp = self.spellings["compliance_point"][k + legacy[i]]
                rows.append((i, int(quest[i]), k, cp, labels[k], ACTIONS[cps[k]], opened))
            for s in self.rng.choice(len(SELF_DIAGNOSIS), self.rng.integers(0, 4), replace=False):
                cp, issue, action = SELF_DIAGNOSIS[s]
                rows.append((i, None, -1, cp, issue, action, opened))
        columns = [
            "factory",
            "quest_id",
            "question",
            "compliance_point",
            "issue",
            "action",
            "opened",
        ]
        return pd.DataFrame(rows, columns=columns)

    def plan(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Plan items of each factory's latest assessment, and their progress updates."""
        rng, q, items = self.rng, self.catalogue, self._plan_rows()
        n = len(items)
        question = items["question"].to_numpy()
        finding = question >= 0
        public = finding & q["public_disclosure"].to_numpy()[question]
        cps = items["compliance_point"].map(canonical_compliance_point)
        cluster = cps.map(CLUSTER_OF).to_numpy(object)
        core = np.isin(cluster, CORE_LABOUR_STANDARDS)
        high = rng.random(n) < np.where(public, 0.9, np.where(core, 0.7, 0.3))
        low = ~high & (rng.random(n) < 0.3)
        allowed = np.select(
            [high, low],
            [rng.integers(30, 61, n), rng.integers(90, 181, n)],
            rng.integers(60, 121, n),
        )
        opened = items["opened"].to_numpy()
        age = self.horizon - opened
        # Older items are more often done; about a quarter of the rest have started.
        done_share = 0.9 * (1 - np.exp(-age / 150))
        u = rng.random(n)
        completed = u < done_share
        started = ~completed & (u < done_share + (1 - done_share) * np.minimum(0.7, age / 120))
        took = np.maximum(3, rng.gamma(2.0, allowed / 2.5)).astype(int)
        done_day = np.minimum(opened + took, self.horizon)
        start_day = opened + (
            rng.random(n) * np.where(completed, done_day - opened, np.minimum(age, 60))
        ).astype(int)
        waiting = ~completed & ~started & (age > 60) & (rng.random(n) < 0.3)
        waiting_day = opened + (rng.random(n) * age).astype(int)
        verified = public & completed & (self.horizon - done_day > 30) & (rng.random(n) < 0.75)
        f = self.factories.iloc[items["factory"].to_numpy()]
        status = np.select(
            [completed, started],
            [Status.COMPLETED.value, Status.IN_PROGRESS.value],
            Status.PENDING.value,
        )
        responsible = [
            (roles := WORDS[c.replace(" ", "_")])[int(x * len(roles))]
            for c, x in zip(cluster, rng.random(n), strict=True)
        ]
        plan = pd.DataFrame(
            {
                "factory_id": f["factory_id"].to_numpy(),
                "quest_id": pd.array(items["quest_id"].tolist(), dtype="Int64"),
                "question_id": _where(finding, q["question_id"].to_numpy(object)[question]),
                "source": np.where(
                    finding, ItemSource.FINDING.value, ItemSource.SELF_DIAGNOSIS.value
                ),
                "compliance_point": items["compliance_point"].to_numpy(object),
                "issue": items["issue"].to_numpy(object),
                "root_cause": _pick(rng, WORDS["root_causes"], n),
                "action": items["action"].to_numpy(object),
                "responsible": responsible,
                "due_date": self.days[opened + allowed],
                "priority": np.select(
                    [high, low], [Priority.HIGH.value, Priority.LOW.value], Priority.MEDIUM.value
                ),
                "status": status,
                "picc_agreed": rng.random(n) < np.where(completed | started, 0.92, 0.55),
                "notes": _pick(rng, WORDS["item_notes"], n),
                "opened_on": self.days[opened],
                "completed_on": _where(completed, self.days[done_day]),
                "verification": _where(
                    public & completed,
                    np.where(verified, Verification.VERIFIED.value, Verification.AWAITING.value),
                ),
                "verified_by": _where(verified, f["colleague"].to_numpy(object)),
            }
        )
        author = f["advisor"].to_numpy(object)
        evidence = np.array([f"IMG_{k:04d}.jpg" for k in rng.integers(1000, 10000, n)], object)
        moves = [
            (
                started | completed,
                start_day,
                Status.PENDING,
                Status.IN_PROGRESS,
                "start_notes",
                None,
            ),
            (completed, done_day, Status.IN_PROGRESS, Status.COMPLETED, "done_notes", evidence),
            (waiting, waiting_day, Status.PENDING, Status.PENDING, "waiting_notes", None),
        ]
        parts = []
        for mask, when, old, new, notes, refs in moves:
            k = int(mask.sum())
            with_ref = rng.random(k) < 0.5
            parts.append(
                pd.DataFrame(
                    {
                        "item": np.flatnonzero(mask),
                        "date": self.days[when[mask]],
                        "author": author[mask],
                        "note": _pick(rng, WORDS[notes], k),
                        "old_status": old.value,
                        "new_status": new.value,
                        "evidence_ref": _where(with_ref, refs[mask]) if refs is not None else None,
                    }
                )
            )
        updates = pd.concat(parts, ignore_index=True)
        return plan, updates.sort_values(["item", "date"], kind="stable", ignore_index=True)

    # -- visits ----------------------------------------------------------------------------

    def visits(self, plan: pd.DataFrame) -> pd.DataFrame:
        """Advisory visits and PICC meetings over each active factory's last three years."""
        f = self.factories
        active = np.flatnonzero(~f["obsolete"].to_numpy())
        first = self.assessments.groupby("factory")["day"].min().to_numpy()[active]
        start = np.maximum(first - 100, self.horizon - 3 * 365)  # advisory starts before
        span = self.horizon - start
        by_factory = plan.groupby("factory_id")
        plan_cps = by_factory["compliance_point"].agg(list).to_dict()
        plan_opened = by_factory["opened_on"].min().to_dict()
        ids, advisors = f["factory_id"].to_numpy(object), f["advisor"].to_numpy(object)
        people, follow_ups = WORDS["visit_people"], WORDS["follow_ups"]
        rows: list[tuple[object, ...]] = []
        for kind, every in ((VisitKind.ADVISORY_VISIT, 40), (VisitKind.PICC_MEETING, 75)):
            count = self.rng.poisson(span / every)
            factory = np.repeat(active, count)
            day = np.repeat(start, count) + (self.rng.random(count.sum()) * np.repeat(span, count))
            draws = self.rng.random((len(factory), 4))
            topics = WORDS["visit_topics" if kind is VisitKind.ADVISORY_VISIT else "picc_topics"]
            for i, d, (x1, x2, x3, x4) in zip(factory, day.astype(int), draws, strict=True):
                fid, advisor, date = ids[i], advisors[i], self.days[d]
                if kind is VisitKind.ADVISORY_VISIT:
                    a, b = int(x1 * len(people)), int(x2 * (len(people) - 1))
                    attendees = f"{advisor}; {people[a]}; {people[b + (b >= a)]}"
                else:
                    workers, managers = 3 + int(x1 * 4), 2 + int(x2 * 3)
                    attendees = f"{advisor}; PICC: {workers} worker and {managers} manager members"
                topic = topics[int(x3 * len(topics))]
                cps = plan_cps.get(fid, []) if date >= plan_opened.get(fid, AS_OF) else []
                if cps:
                    topic = f"Improvement Plan: {cps[int(x4 * len(cps))]}; {topic}"
                follow_up = follow_ups[int(x4 * len(follow_ups))]
                rows.append((fid, date, kind.value, attendees, topic, follow_up))
        visits = pd.DataFrame(
            rows, columns=["factory_id", "date", "kind", "attendees", "topics", "follow_ups"]
        )
        return visits.sort_values(["factory_id", "date", "kind"], ignore_index=True)


def fill_demo(store: Store, factories: int = 200, seed: int = 1) -> str:
    """Fill an empty store with a synthetic portfolio; returns a one-line summary."""
    if factories < 1:
        raise UsageError(f"the demo portfolio needs at least one factory, not {factories}")
    held = len(store.factories_frame())
    if held:
        raise UsageError(
            f"the store already holds {held} factories; demo data goes into an empty store"
        )
    portfolio = _Portfolio(factories, seed)
    with store.assessment_loader(ACTOR, "demo-data") as loader:
        for chunk in portfolio.finding_chunks():
            loader.add(chunk)
    f = portfolio.factories
    store.bulk_update_factories(f[["factory_id", "workers", "advisor"]], ACTOR, "demo-data")
    partners, links = portfolio.partners()
    store.save_partners(partners, links, ACTOR)
    plan, updates = portfolio.plan()
    store.bulk_add_plan_items(plan, updates, ACTOR, "demo-data")
    visits = portfolio.visits(plan)
    store.bulk_add_visits(visits, ACTOR, "demo-data")
    countries, summary = f["country"].nunique(), loader.summary
    return (
        f"demo portfolio (seed {seed}): {len(f)} factories in {countries} countries, "
        f"{summary.assessments_added} assessments, {summary.findings_added} findings, "
        f"{len(partners)} partners with {len(links)} links, {len(plan)} Improvement Plan items "
        f"with {len(updates)} progress updates, {len(visits)} visits"
    )
