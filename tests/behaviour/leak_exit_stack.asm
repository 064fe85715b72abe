; The post's leak, ended by `call exit` with the pointer still on main's stack and in a
; callee-saved register: the frame that called exit() is dead, so the block is lost.
; EXPECT: memboss: ERROR: leak
; EXPECT: 64 bytes in 1 block is definitely lost
; EXPECT: in main
; EXPECT-STATUS: 1
        global  main
        extern  malloc, exit
        section .text
main:
        push    rbx
        sub     rsp, 16
        mov     rdi, 64
        call    malloc
        mov     [rsp], rax        ; a local...
        mov     rbx, rax          ; ...and a register: both die with main's frame
        mov     qword [rax], 42
        xor     edi, edi
        call    exit
        section .note.GNU-stack noalloc noexec nowrite progbits
