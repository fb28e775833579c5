"""The words and tables a demo portfolio is drawn from: the CAT, names, actions, countries."""

from __future__ import annotations

from dataclasses import dataclass

from bwcases.core.catalogue import (
    COMPLIANCE_POINTS,
    PUBLIC_DISCLOSURE,
    QuestionType,
)

OSH = "Occupational Safety and Health"
CPS = tuple(cp for cps in COMPLIANCE_POINTS.values() for cp in cps)
CLUSTER_OF = {cp: cluster for cluster, cps in COMPLIANCE_POINTS.items() for cp in cps}
CODES = ("CHL", "DIS", "FOR", "FOA", "CMP", "CON", "OSH", "WTM")  # of the clusters, in order
CLUSTER_CODES = dict(zip(COMPLIANCE_POINTS, CODES, strict=True))

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
DORMITORIES = {"Jordan", "Ethiopia", "Egypt"}  # the countries whose CAT asks about them

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
ROMAN = ("II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


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
